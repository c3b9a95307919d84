// id: who-can-access
// title: Who can read (or write) a given resource
// description: Every identity with an effective permission on the resource named by id or name,
//   directly or through a role it can assume.
// tags: [identity, data]
// params:
//   target: {type: string, description: 'the resource id (ARN, Azure id) or its name'}
//   level: {type: string, default: "read", description: 'read, write or admin (higher levels are included)'}
WITH CASE $level WHEN 'admin' THEN ['admin'] WHEN 'write' THEN ['write', 'admin'] ELSE ['read', 'write', 'admin'] END AS levels
MATCH (t:Asset) WHERE t.id = $target OR t.name = $target
MATCH (i:Identity)-[r:CAN_ACCESS]->(t) WHERE r.level IN levels
OPTIONAL MATCH (other:Identity)-[:CAN_ASSUME]->(i)
RETURN t.id AS resource, i.id AS identity, i.name AS name, r.level AS level, r.actions AS actions,
       r.conditional AS conditional, collect(DISTINCT other.name) AS assumable_by
ORDER BY level DESC, name
