// id: public-data-stores
// title: Buckets, containers and snapshots readable or writable by anyone
// description: Data stores the engine found anonymously accessible from the internet, with the level
//   and the evidence (policy statement, ACL grant, container access level).
// tags: [data, exposure]
// params:
//   level: {type: string, default: "", description: 'read, write or admin; empty for any'}
MATCH (:Internet)-[r:CAN_ACCESS]->(d:DataStore)
WHERE $level = '' OR r.level = $level
OPTIONAL MATCH (d)-[:STORES]->(s:SensitiveInfoType)
RETURN d.id AS id, d.name AS name, d.provider AS provider, d.account_id AS account, r.level AS level,
       r.actions AS actions, r.evidence AS evidence, collect(DISTINCT s.name) AS sensitive_data
ORDER BY size(sensitive_data) DESC, name
