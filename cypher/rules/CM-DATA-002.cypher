// id: CM-DATA-002
// title: Publicly accessible data store holds sensitive data
// short_title: Public data store, sensitive data
// description: Anyone on the internet can read (or write) a bucket, blob container or other data store that
//   holds sensitive data.
// severity: critical
// risk_factors: [public-access, sensitive-data]
// attack: [T1530]
// remediation: Block public access (S3 Block Public Access, Azure allowBlobPublicAccess=false) and review
//   the policy / ACL.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[acc:CAN_ACCESS]->(ds:DataStore)
WITH path, acc, ds, [(ds)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
WHERE size(sensitivity) > 0
RETURN path, ds AS entry, ds AS target,
  {exposure: 'public', privilege: coalesce(acc.level, 'read'), sensitivity: sensitivity, critical: (ds.criticality IN ['critical', 'high'])} AS evidence
