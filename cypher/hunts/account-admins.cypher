// id: account-admins
// title: Identities with full control of an account or subscription
// description: Users, roles, groups and service principals whose effective permissions make them
//   administrators of an AWS account or Azure subscription.
// tags: [identity, privilege]
// params:
//   account: {type: string, default: "", description: 'an account id to focus on, empty for all'}
MATCH (i:Identity)-[r:CAN_ACCESS {level: 'admin'}]->(a:Account)
WHERE $account = '' OR a.account_id = $account OR a.id = $account
RETURN a.name AS account, i.id AS identity, i.name AS name, labels(i) AS labels, r.reason AS reason
ORDER BY account, name
