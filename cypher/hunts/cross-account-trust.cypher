// id: cross-account-trust
// title: Roles assumable from another account
// description: CAN_ASSUME edges that cross an account boundary, the usual way into an estate from a
//   partner, a CI system, or a compromised neighbour.
// tags: [identity, trust]
MATCH (a:Identity)-[r:CAN_ASSUME]->(b:Identity)
WHERE a.account_id IS NOT NULL AND b.account_id IS NOT NULL AND a.account_id <> b.account_id
RETURN a.id AS from_identity, a.account_id AS from_account, b.id AS role, b.account_id AS role_account,
       r.evidence AS evidence
ORDER BY role_account, role
