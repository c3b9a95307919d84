// id: CM-DATA-005
// title: Publicly accessible data store
// short_title: Public data store
// description: Anyone on the internet can read or write a data store with no known sensitive data (CM-DATA-002
//   covers those; CM-DATA-004 snapshots). Often intended (static websites); confirm it is.
// severity: medium
// risk_factors: [public-access]
// attack: [T1530]
// remediation: If the store is not meant to be public, block public access; otherwise tag it as intentionally
//   public.
MATCH path = (:Internet)-[acc:CAN_ACCESS]->(ds:DataStore)
WHERE NOT ds:Snapshot AND NOT EXISTS { (ds)-[:CONTAINS*0..2]->()-[:STORES]->() }
RETURN path, ds AS entry, ds AS target,
  {exposure: 'public', privilege: coalesce(acc.level, 'read'), critical: (ds.criticality IN ['critical', 'high'])} AS evidence
