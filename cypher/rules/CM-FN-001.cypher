// id: CM-FN-001
// title: Function URL without authentication can access sensitive data
// short_title: Open function URL → sensitive data
// description: A function that anyone can invoke over HTTP (function URL with auth type NONE, anonymous
//   HTTP trigger) runs as an identity that can access a data store holding sensitive data.
// severity: high
// risk_factors: [internet-exposure, sensitive-data]
// attack: [T1190, T1530]
// remediation: Require authentication on the function URL / trigger (AWS_IAM, function keys, Entra ID) and
//   narrow its role.
// references: ['https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html']
MATCH path = (:Internet)-[reach:CAN_REACH]->(w:Function)-[:CAN_AUTHENTICATE_AS]->(:Identity)
      -[:CAN_ASSUME*0..2]->(id:Identity)-[acc:CAN_ACCESS]->(t:DataStore)
WHERE w.url_auth_type = 'NONE' OR w.public = true
WITH path, reach, w, acc, t, [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
WHERE size(sensitivity) > 0
RETURN path, w AS entry, t AS target,
  {exposure: 'internet', weaknesses: ['no-auth'], privilege: acc.level, sensitivity: sensitivity,
   critical: (t.criticality IN ['critical', 'high'])} AS evidence
