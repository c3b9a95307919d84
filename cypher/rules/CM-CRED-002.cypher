// id: CM-CRED-002
// title: Internet-exposed workload holds long-lived user credentials
// short_title: Exposed workload holds user keys
// description: 'An internet-exposed workload can authenticate as a user that has access keys (keys stored
//   on the host or in its configuration): they work from anywhere and do not expire.'
// severity: high
// risk_factors: [internet-exposure, credential-exposure]
// attack: [T1552.001, T1078.004]
// remediation: Replace the stored user keys with the workload's own role / managed identity and deactivate
//   the keys.
MATCH path = (:Internet)-[reach:CAN_REACH]->(w)-[:CAN_AUTHENTICATE_AS]->(u:User)
WHERE EXISTS { (u)-[:HAS_KEY]->(k) WHERE coalesce(k.status, 'Active') = 'Active' }
RETURN path, w AS entry, u AS target,
  {exposure: 'internet', ports: reach.ports, privilege: CASE WHEN EXISTS { (u)-[:CAN_ACCESS {level: 'admin'}]->() } THEN 'admin' WHEN EXISTS { (u)-[:CAN_ACCESS {level: 'write'}]->() } THEN 'write' WHEN EXISTS { (u)-[:CAN_ACCESS]->() } THEN 'read' ELSE 'none' END, sensitivity: ['secrets']} AS evidence
