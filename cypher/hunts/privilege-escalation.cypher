// id: privilege-escalation
// title: Identities that can escalate their privileges
// description: Chains of CAN_ESCALATE_TO (up to three steps) with the method of each step, ending at an
//   identity that administers an account when one exists.
// tags: [identity, privilege, attack-path]
// params:
//   max_steps: {type: integer, default: 3, description: 1 to 3}
//   limit: {type: integer, default: 100}
MATCH p = (start:Identity)-[:CAN_ESCALATE_TO*1..3]->(target:Identity)
WHERE length(p) <= $max_steps
OPTIONAL MATCH (target)-[admin:CAN_ACCESS {level: 'admin'}]->(acct:Account)
RETURN start.name AS from, target.name AS to, [r IN relationships(p) | r.method] AS methods,
       [r IN relationships(p) | r.method_id] AS method_ids,
       acct.name AS admin_of, p
ORDER BY admin_of IS NULL, length(p)
LIMIT $limit
