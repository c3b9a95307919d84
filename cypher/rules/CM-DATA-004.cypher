// id: CM-DATA-004
// title: Database snapshot is shared publicly
// short_title: Public database snapshot
// description: 'A database snapshot can be restored by any account: anyone can copy the database it was
//   taken from.'
// severity: high
// risk_factors: [public-access]
// attack: [T1530, T1537]
// remediation: Make the snapshot private (remove the 'all' restore permission) and audit who restored it.
MATCH path = (:Internet)-[acc:CAN_ACCESS]->(snap:Snapshot)
WITH path, acc, snap, [(snap)-[:SNAPSHOT_OF]->(db) | db][0] AS db
RETURN path, snap AS entry, snap AS target,
  {exposure: 'public', privilege: coalesce(acc.level, 'read'), source_database: db.id,
   sensitivity: [(snap)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] + CASE WHEN db IS NULL THEN [] ELSE [(db)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] END,
   critical: (snap.criticality IN ['critical', 'high']) OR db.criticality IN ['critical', 'high']} AS evidence
