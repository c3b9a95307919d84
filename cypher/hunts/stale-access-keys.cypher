// id: stale-access-keys
// title: Active access keys not used (or not rotated) for a long time
// description: Users' long-lived access keys whose last use (or creation, when never used) is older
//   than the given number of days.
// tags: [identity, hygiene]
// params:
//   max_age_days: {type: integer, default: 90}
MATCH (u:User)-[:HAS_KEY]->(k:AccessKey)
WHERE coalesce(k.status, 'Active') = 'Active'
WITH u, k, coalesce(k.last_used, k.created) AS seen
WHERE seen IS NULL OR datetime(seen) < datetime() - duration({days: $max_age_days})
RETURN u.name AS user, u.account_id AS account, k.id AS key, k.created AS created, k.last_used AS last_used
ORDER BY last_used
