// id: public-snapshots
// title: Snapshots anyone can restore
// description: Disk and database snapshots shared publicly, with the database they copy.
// tags: [data, exposure]
MATCH (s:Snapshot) WHERE s.public = true
OPTIONAL MATCH (s)-[:SNAPSHOT_OF]->(db:Database)
RETURN s.id AS snapshot, s.name AS name, s.account_id AS account, s.region AS region, db.name AS database
ORDER BY account, name
