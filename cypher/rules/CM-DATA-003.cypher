// id: CM-DATA-003
// title: Private data store replicates to a publicly accessible one
// short_title: Replicates to a public data store
// description: A data store that is not public replicates its data to one that anyone on the internet can
//   read, so the private store's contents are public.
// severity: high
// risk_factors: [public-access, sensitive-data]
// attack: [T1530, T1537]
// remediation: Block public access on the replica, or stop replicating to it.
MATCH path = (:Internet)-[acc:CAN_ACCESS]->(pub:DataStore)<-[:REPLICATES_TO]-(src:DataStore)
WHERE NOT EXISTS { (:Internet)-[:CAN_ACCESS]->(src) }
RETURN path, pub AS entry, src AS target,
  {exposure: 'public', privilege: coalesce(acc.level, 'read'), sensitivity: [(src)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] + [(pub)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')],
   critical: (src.criticality IN ['critical', 'high'])} AS evidence
