// id: CM-FN-003
// title: Internet-exposed function has admin rights on the account
// short_title: Exposed function is account admin
// description: 'A serverless function reachable from the internet runs as an identity with full control
//   of the account or subscription: any injection flaw in it is an account takeover.'
// severity: high
// risk_factors: [internet-exposure, privileged-identity]
// attack: [T1190, T1078.004]
// remediation: Give the function a least-privilege role.
MATCH path = (:Internet)-[reach:CAN_REACH]->(w:Function)-[:CAN_AUTHENTICATE_AS]->(:Identity)
      -[:CAN_ASSUME*0..2]->(id:Identity)-[acc:CAN_ACCESS]->(t:Account)
WHERE acc.level = 'admin'
RETURN path, w AS entry, t AS target,
  {exposure: 'internet', privilege: 'admin',
   weaknesses: CASE WHEN w.url_auth_type = 'NONE' OR w.public = true THEN ['no-auth'] ELSE [] END} AS evidence
