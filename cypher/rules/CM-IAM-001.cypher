// id: CM-IAM-001
// title: Principal can escalate to admin
// short_title: Can escalate to admin
// description: A principal without admin rights can escalate (e.g. iam:PassRole with a compute service,
//   policy version edits, role assignment writes) to an identity that has full control of the account or
//   subscription, or can rewrite its own permissions (an escalation to itself) in its own account.
// severity: high
// risk_factors: [privilege-escalation, privileged-identity]
// attack: [T1098, T1078.004]
// remediation: Remove the permission that enables the escalation method shown in the evidence, or add a
//   permission boundary.
// references: ['https://github.com/nccgroup/PMapper', 'https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/']
MATCH path = (p:Identity)-[esc:CAN_ESCALATE_TO]->(:Identity)-[:CAN_ASSUME*0..2]->(:Identity)
      -[acc:CAN_ACCESS {level: 'admin'}]->(t:Account)
WHERE NOT EXISTS { (p)-[:CAN_ACCESS {level: 'admin'}]->(t) }
RETURN path, p AS entry, t AS target,
  {exposure: CASE WHEN p:User OR p:ServicePrincipal THEN 'identity' ELSE 'internal' END,
   privilege: 'admin', method: esc.method, method_id: esc.method_id} AS evidence
UNION
MATCH path = (p:Identity)-[esc:CAN_ESCALATE_TO]->(p)<-[:CONTAINS]-(t:Account)
WHERE NOT EXISTS { (p)-[:CAN_ACCESS {level: 'admin'}]->(t) }
RETURN path, p AS entry, t AS target,
  {exposure: CASE WHEN p:User OR p:ServicePrincipal THEN 'identity' ELSE 'internal' END,
   privilege: 'admin', method: esc.method, method_id: esc.method_id} AS evidence
