// id: CM-PATH-003
// title: Principal with usable credentials can become account admin
// short_title: Usable credentials → admin
// description: An assumed-breach identity (an IAM user with an active access key or a console password, a
//   service principal with a secret, a GCP
//   service account with a user-managed key) that is not admin reaches full control of an account or subscription
//   through a chain of role assumptions and privilege escalations, including rewriting its own policy and
//   joining an admin group.
// severity: high
// generic: true
// risk_factors: [privilege-escalation, privileged-identity]
// params: {max_hops: 6}
// attack: [T1078.004, T1098]
// remediation: Remove the permission behind the first escalation hop, or add a permission boundary; rotate or
//   remove the entry's credentials if they are not needed.
// references: ['https://github.com/nccgroup/PMapper', 'https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/']
MATCH (p:Identity)
WHERE (p:User AND (p.has_console_password = true
                   OR EXISTS { (p)-[:HAS_KEY]->(k) WHERE coalesce(k.status, 'Active') = 'Active' }))
   OR (p:ServicePrincipal AND (coalesce(p.valid_credentials, 0) > 0
                               OR EXISTS { (p)-[:HAS_KEY]->(k:Key) WHERE k.key_type = 'USER_MANAGED' }))
// The accounts the principal's chain can administer, from the distinct identities it can become (a
// breadth-first expansion), then one shortest chain to each: a search for every path at once keeps state
// for every mix of moves.
CALL (p) { MATCH (p)-[:CAN_ASSUME|CAN_ESCALATE_TO*0..6]->(j:Identity) RETURN DISTINCT j }
MATCH (j)-[last:CAN_ACCESS|CAN_ESCALATE_TO]->(t:Account)
WHERE (type(last) = 'CAN_ESCALATE_TO' OR last.level = 'admin')
  AND NOT EXISTS { (p)-[:CAN_ACCESS {level: 'admin'}]->(t) }
  AND NOT EXISTS { (p)-[:MEMBER_OF]->(:Group)-[:CAN_ACCESS {level: 'admin'}]->(t) }
WITH p, t, count(DISTINCT j) AS through
MATCH path = SHORTEST 1 (p)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->()){0,6}(:Identity)
      -[last:CAN_ACCESS|CAN_ESCALATE_TO WHERE type(last) = 'CAN_ESCALATE_TO' OR last.level = 'admin']->(t)
WITH p, t, path, through WHERE length(path) <= $max_hops
RETURN path, p AS entry, t AS target, through - 1 AS other_paths,
  {exposure: 'identity', privilege: 'admin', chain: true,
   target_class: 'admin', method: [r IN relationships(path) WHERE type(r) = 'CAN_ESCALATE_TO' | r.method][0]} AS evidence
