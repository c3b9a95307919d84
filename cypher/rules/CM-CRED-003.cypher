// id: CM-CRED-003
// title: Credentials in configuration
// short_title: Credentials in configuration
// description: 'A resource''s configuration (environment variables, user data, parameters, stack parameters
//   or outputs, app settings, Terraform state) holds a credential in plain text: anyone who can read that
//   configuration, and the workload itself, can use it. High when it opens an administrator or classified data.'
// severity: medium
// risk_factors: [credential-exposure]
// attack: [T1552.001, T1552.005, T1078.004]
// remediation: 'Remove the credential from the configuration named in the finding (the holder and the variable,
//   setting or line in where), rotate it (it has been readable by everyone with read access to that
//   configuration), and hand it to the workload through a secret store or the workload''s own identity.'
MATCH path = (h:Asset)-[e:EXPOSES_CREDENTIAL]->(o)
WITH path, h, e, o,
  EXISTS { (o)-[:CAN_ACCESS {level: 'admin'}]->(:Account) }
    OR EXISTS { (o)-[:CAN_ASSUME*1..2]->(:Identity)-[:CAN_ACCESS {level: 'admin'}]->(:Account) }
    OR EXISTS { (o)-[:CAN_ESCALATE_TO]->(:Identity)-[:CAN_ACCESS {level: 'admin'}]->(:Account) } AS admin,
  [(o)-[:STORES]->(s:SensitiveInfoType) | s.category] AS categories
RETURN path, h AS entry, o AS target,
  {exposure: 'identity', weaknesses: ['credentials-in-configuration'],
   privilege: CASE WHEN admin THEN 'admin'
                   WHEN o:DataStore THEN coalesce(e.level, 'write')
                   WHEN o:Identity AND EXISTS { (o)-[:CAN_ACCESS {level: 'write'}]->() } THEN 'write'
                   WHEN o:Identity AND EXISTS { (o)-[:CAN_ACCESS]->() } THEN 'read'
                   ELSE 'none' END,
   sensitivity: ['secrets'] + categories,
   critical: size(categories) > 0 OR o.criticality IN ['critical', 'high'],
   credential_kind: e.kind, where: e.where, location: e.location, credential: e.credential} AS evidence
