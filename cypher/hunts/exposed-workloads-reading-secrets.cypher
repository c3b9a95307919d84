// id: exposed-workloads-reading-secrets
// title: Internet-reachable workloads whose identity can read secrets or keys
// description: Compromise of the workload hands the attacker these secrets and keys.
// tags: [attack-path, identity, secrets]
MATCH p = (:Internet)-[:CAN_REACH]->(w:Asset)-[:CAN_AUTHENTICATE_AS]->(i:Identity)-[a:CAN_ACCESS]->(s)
WHERE (s:Secret OR s:Key OR s:KeyVault) AND a.level IN ['read', 'write', 'admin']
RETURN w.name AS workload, i.name AS identity, s.name AS secret, a.level AS level, p
LIMIT 200
