// id: CM-IAM-003
// title: User with active access keys has admin rights
// short_title: Admin user with access keys
// description: 'A user with active long-lived access keys has full control of the account: a leaked key
//   is an account takeover.'
// severity: medium
// risk_factors: [privileged-identity, credential-exposure]
// attack: [T1078.004]
// remediation: Use roles with short-lived credentials (SSO) for administration; deactivate the user's keys.
MATCH path = (k)<-[:HAS_KEY]-(u:User)-[:CAN_ASSUME*0..2]->(:Identity)-[acc:CAN_ACCESS {level: 'admin'}]->(t:Account)
WHERE coalesce(k.status, 'Active') = 'Active'
RETURN path, u AS entry, t AS target, {exposure: 'identity', privilege: 'admin', key: k.id} AS evidence
