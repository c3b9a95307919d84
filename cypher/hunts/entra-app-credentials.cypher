// id: entra-app-credentials
// title: Application and service principal credentials that expire soon or live too long
// description: Password and certificate credentials (metadata only) of Entra applications and service
//   principals that are still valid and either expire within the given number of days or were issued for
//   longer than the given maximum lifetime.
// tags: [identity, hygiene, entra]
// params:
//   expires_within_days: {type: integer, default: 30}
//   max_lifetime_days: {type: integer, default: 365}
MATCH (a:Asset) WHERE (a:EntraApplication OR a:EntraServicePrincipal) AND a.credentials IS NOT NULL
UNWIND a.credentials AS credential
WITH a, split(credential, '|') AS parts
WITH a, parts[0] AS type, parts[1] AS key_id, parts[2] AS display_name,
     CASE WHEN parts[3] = '' THEN null ELSE datetime(parts[3]) END AS starts,
     CASE WHEN parts[4] = '' THEN null ELSE datetime(parts[4]) END AS ends
WHERE ends IS NULL OR ends > datetime()
WITH a, type, key_id, display_name, starts, ends,
     ends IS NOT NULL AND ends < datetime() + duration({days: $expires_within_days}) AS expiring,
     ends IS NULL OR (starts IS NOT NULL AND duration.inDays(starts, ends).days > $max_lifetime_days) AS long_lived
WHERE expiring OR long_lived
RETURN a.name AS owner, labels(a)[-1] AS kind, type, key_id, display_name, toString(starts) AS starts,
       toString(ends) AS ends, expiring, long_lived
ORDER BY ends
