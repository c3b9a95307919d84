// id: lateral-movement-from-exposed
// title: Lateral movement from an exposed workload to a critical one
// description: Internet-reachable workloads that can open network connections (up to two hops) to a
//   workload marked critical.
// tags: [attack-path, network, lateral-movement]
// params:
//   limit: {type: integer, default: 50}
MATCH p = (:Internet)-[:CAN_REACH]->(entry:Asset)-[:CAN_CONNECT_TO*1..2]->(target:Asset)
WHERE target.criticality IN ['critical', 'high']
RETURN entry.name AS entry, target.name AS target, length(p) - 1 AS hops, p
LIMIT $limit
