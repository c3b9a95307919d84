// A finding's attack path, hop by hop (set the finding id first: :param id => '...')
// Each hop is the relationship of the move the finding names at that position (f.moves).
MATCH (f:Finding {id: $id})-[a:AFFECTS]->(n)
WITH f, a.position AS pos, n ORDER BY pos
WITH f, collect({pos: pos, node: n}) AS chain
UNWIND range(0, size(chain) - 1) AS i
WITH f, chain[i].pos AS pos, chain[i].node AS x, CASE WHEN i + 1 < size(chain) THEN chain[i + 1].node END AS y
OPTIONAL MATCH step = (x)-[r]->(y) WHERE type(r) = f.moves[pos]
OPTIONAL MATCH entry = (:Internet)-[e]->(x) WHERE pos = 1 AND type(e) = f.moves[0]
OPTIONAL MATCH link = (f)-[:AFFECTS]->(x)
RETURN f, collect(step) AS steps, collect(entry) AS entries, collect(link) AS links
