// id: public-functions
// title: Functions invocable anonymously over HTTP
// description: Lambda function URLs without IAM auth and Azure functions with anonymous HTTP triggers,
//   with the identity they run as.
// tags: [exposure, compute, serverless]
MATCH (f:Function)
WHERE f.public = true OR (f.has_url = true AND f.url_auth_type = 'NONE')
OPTIONAL MATCH (f)-[:CAN_AUTHENTICATE_AS]->(i:Identity)
RETURN f.id AS function, f.name AS name, f.provider AS provider, f.url_auth_type AS url_auth, i.name AS runs_as
ORDER BY name
