// id: CM-PATH-004
// title: Principal with usable credentials reaches sensitive data through a chain
// short_title: Usable credentials → … → data
// description: An assumed-breach identity (an IAM user with an active access key or a console password, a
//   service principal with a valid secret, a GCP service account with a user-managed key) reaches classified
//   data, a secret, a key or a crown jewel that it cannot read directly, through role assumptions and
//   privilege escalations.
// severity: medium
// generic: true
// risk_factors: [sensitive-data]
// params: {max_hops: 6}
// attack: [T1078.004, T1530]
// remediation: Remove the trust or escalation permission behind the first hop, or scope the last role's data
//   access; rotate or remove the entry's credentials if they are not needed.
// references: ['https://github.com/nccgroup/PMapper']
MATCH (p:Identity)
WHERE (p:User AND (p.has_console_password = true
                   OR EXISTS { (p)-[:HAS_KEY]->(k) WHERE coalesce(k.status, 'Active') = 'Active' }))
   OR (p:ServicePrincipal AND (coalesce(p.valid_credentials, 0) > 0
                               OR EXISTS { (p)-[:HAS_KEY]->(k:Key) WHERE k.key_type = 'USER_MANAGED' }))
// The targets the principal reaches through at least one move, from the distinct identities it can
// become (a breadth-first expansion), then one shortest chain to each, as CM-PATH-003 does.
CALL (p) { MATCH (p)-[:CAN_ASSUME|CAN_ESCALATE_TO*1..6]->(j:Identity) RETURN DISTINCT j }
MATCH (j)-[:CAN_ACCESS]->(t:Asset)
// an account admin on the way is CM-PATH-003's finding (what it can read is implied there)
WHERE NOT t:Account AND NOT EXISTS { (j)-[:CAN_ACCESS {level: 'admin'}]->(:Account) }
  AND (t:Secret OR t:Key OR t.criticality IN ['critical', 'high']
       OR EXISTS { (t)-[:CONTAINS*0..2]->()-[:STORES]->(:SensitiveInfoType) })
  AND NOT EXISTS { (p)-[:CAN_ACCESS]->(t) }
WITH p, t, count(DISTINCT j) AS through
MATCH path = SHORTEST 1 (p)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->()){1,6}
      (k:Identity WHERE NOT EXISTS { (k)-[:CAN_ACCESS {level: 'admin'}]->(:Account) })-[last:CAN_ACCESS]->(t)
WITH p, t, path, last, through WHERE length(path) <= $max_hops
WITH path, p, last, t, through,
     [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
RETURN path, p AS entry, t AS target, through - 1 AS other_paths,
  {exposure: 'identity', privilege: last.level, sensitivity: sensitivity, critical: t.criticality IN ['critical', 'high'],
   target_class: CASE WHEN t.criticality IN ['critical', 'high'] THEN 'crown-jewel'
                      WHEN size(sensitivity) > 0 THEN 'data' ELSE 'secret' END, chain: true,
   method: [r IN relationships(path) WHERE type(r) = 'CAN_ESCALATE_TO' | r.method][0]} AS evidence
