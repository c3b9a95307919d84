// id: open-findings-by-rule
// title: Open findings per rule and level
// description: How many open findings each rule has, with the best score; a starting point for triage.
// tags: [findings]
MATCH (f:Finding) WHERE coalesce(f.status, 'open') = 'open'
RETURN f.rule_id AS rule, f.level AS level, count(*) AS findings, max(f.score) AS top_score
ORDER BY top_score DESC
