// id: internet-to-sensitive-data
// title: Attack paths from the internet to sensitive data
// description: An internet-reachable workload whose identity (or a role it can assume) can read a data
//   store holding sensitive data. Returns whole paths for the graph view.
// tags: [attack-path, data, exposure]
// params:
//   category: {type: string, default: "", description: 'pci, pii, phi or secrets; empty for any'}
//   limit: {type: integer, default: 50}
MATCH p = (:Internet)-[:CAN_REACH]->(w:Asset)-[:CAN_AUTHENTICATE_AS]->(:Identity)-[:CAN_ASSUME*0..2]->(:Identity)
          -[:CAN_ACCESS]->(d:DataStore)-[:STORES]->(s:SensitiveInfoType)
WHERE $category = '' OR s.category = $category
RETURN p
LIMIT $limit
