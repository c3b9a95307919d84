// id: CM-DATA-007
// title: Internet-exposed database holds sensitive data
// short_title: Exposed database, sensitive data
// description: A database that holds sensitive data is reachable from the internet on the network.
// severity: high
// risk_factors: [internet-exposure, sensitive-data]
// attack: [T1190, T1530]
// remediation: Move the database to private subnets / private endpoints and allow only the application tier.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[reach:CAN_REACH]->(db:Database)
WITH path, reach, db, [(db)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
WHERE size(sensitivity) > 0
RETURN path, db AS entry, db AS target,
  {exposure: 'internet', ports: reach.ports, sensitivity: sensitivity, critical: (db.criticality IN ['critical', 'high']),
   weaknesses: CASE WHEN db.password_auth = true THEN ['password-auth'] ELSE [] END} AS evidence
