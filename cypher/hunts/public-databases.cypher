// id: public-databases
// title: Databases open to the internet
// description: Databases flagged publicly accessible or reachable from the internet on the network,
//   with password authentication status and the sensitive data they hold.
// tags: [data, exposure, network]
OPTIONAL MATCH (:Internet)-[r:CAN_REACH]->(reached:Database)
WITH collect(DISTINCT reached) AS reachable
MATCH (d:Database) WHERE d.publicly_accessible = true OR d IN reachable
OPTIONAL MATCH (d)-[:STORES]->(s:SensitiveInfoType)
RETURN d.id AS id, d.name AS name, d.engine AS engine, d.port AS port, d.publicly_accessible AS publicly_accessible,
       d IN reachable AS network_reachable, d.password_auth AS password_auth, collect(DISTINCT s.name) AS sensitive_data
ORDER BY network_reachable DESC, name
