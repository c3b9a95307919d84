// A finding's full attack path (set the finding id first: :param id => '...')
MATCH (f:Finding {id: $id})-[a:AFFECTS]->(n)
WITH f, n ORDER BY a.position
WITH f, collect(n) AS chain
UNWIND range(0, size(chain) - 1) AS i
WITH f, i, chain[i] AS x, chain[i + 1] AS y
OPTIONAL MATCH step = (x)-[]-(y)
OPTIONAL MATCH entry = (:Internet)-[:CAN_REACH|CAN_ACCESS]->(x) WHERE i = 0
OPTIONAL MATCH link = (f)-[:AFFECTS]->(x)
RETURN f, collect(step) AS steps, collect(entry) AS entries, collect(link) AS links
