// id: assets-by-tag
// title: Assets carrying a tag
// description: Every asset with the tag key (and value, when given), e.g. env=prod or owner.
// tags: [inventory]
// params:
//   tag: {type: string, description: 'key=value, or key alone'}
MATCH (a:Asset)
WHERE any(t IN coalesce(a.tags, []) WHERE t = $tag OR t STARTS WITH $tag + '=')
RETURN a.id AS id, a.name AS name, labels(a) AS labels, a.account_id AS account, a.tags AS tags
ORDER BY name
LIMIT 1000
