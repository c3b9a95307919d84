// id: crown-jewel-access
// title: Who can reach the crown jewels
// description: Identities with effective access to assets marked critical, and how many steps of role
//   assumption lead there.
// tags: [identity, data, crown-jewels]
MATCH (t:Asset) WHERE t.criticality IN ['critical', 'high']
MATCH (i:Identity)-[r:CAN_ACCESS]->(t)
RETURN t.name AS crown_jewel, t.criticality AS criticality, i.name AS identity, labels(i) AS labels, r.level AS level
ORDER BY crown_jewel, level DESC
