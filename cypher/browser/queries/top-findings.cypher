// Findings, most urgent first
MATCH (f:Finding {status: 'open'})
RETURN f.level AS level, f.score AS score, f.title AS title, f.entry_name AS entry, f.target_name AS target, f.id AS id
ORDER BY f.score DESC
LIMIT 25
