// id: CM-DATA-001
// title: Internet-exposed database allows password authentication
// short_title: Exposed database, password login
// description: 'A database reachable from the internet accepts password logins: open to credential stuffing
//   and brute force.'
// severity: high
// risk_factors: [internet-exposure, basic-auth]
// attack: [T1190, T1110]
// remediation: Make the database private (no public endpoint, private subnets) and use IAM / Entra ID authentication.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[reach:CAN_REACH]->(db:Database)
WHERE db.password_auth = true
RETURN path, db AS entry, db AS target,
  {exposure: 'internet', ports: reach.ports, weaknesses: ['password-auth'], sensitivity: [(db)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')],
   critical: (db.criticality IN ['critical', 'high'])} AS evidence
