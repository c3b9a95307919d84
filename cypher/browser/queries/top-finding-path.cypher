// The highest-scored finding's attack path, drawn as a graph
MATCH (f:Finding {status: 'open'})
WITH f ORDER BY f.score DESC LIMIT 1
MATCH (f)-[a:AFFECTS]->(n)
WITH f, n ORDER BY a.position
WITH f, collect(n) AS chain
UNWIND range(0, size(chain) - 1) AS i
WITH f, i, chain[i] AS x, chain[i + 1] AS y
OPTIONAL MATCH step = (x)-[]-(y)
OPTIONAL MATCH entry = (:Internet)-[:CAN_REACH|CAN_ACCESS]->(x) WHERE i = 0
RETURN f, collect(step) AS steps, collect(entry) AS entries
