// id: CM-PATH-005
// title: Principal outside the loaded accounts reaches sensitive data or account admin
// short_title: External principal → data or admin
// description: A role's trust policy or a resource policy admits a principal outside the accounts in the graph
//   (another AWS account, a role or user in one, the users of a federated identity provider, or any AWS account)
//   without a condition the graph cannot settle (an sts:ExternalId, a federated token's subject, an organization
//   id), and from there role assumptions and privilege escalations reach classified data, a secret, a key, a
//   crown jewel or account admin. A wildcard admission (any account, or a federated provider whose tokens
//   anyone can get) counts as an open trust.
// severity: high
// generic: true
// risk_factors: [privileged-identity, sensitive-data]
// params: {max_hops: 6}
// attack: [T1199, T1078.004, T1530]
// remediation: Name only the principals that need it in the trust or resource policy, and require an
//   sts:ExternalId for third parties (a subject condition for federated providers); then scope what the
//   assumed role can reach.
// references: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html']
WITH COLLECT { MATCH (:Account)<-[g:CAN_ACCESS]-(a:Identity) WHERE g.level = 'admin' RETURN DISTINCT a } AS admins
MATCH (x:ExternalPrincipal)-[first:CAN_ASSUME|CAN_ACCESS]->(n:Asset)
WHERE NOT coalesce(first.conditional, false)
CALL (first, n, admins) {
  // a resource policy lets it in: the target is one hop away
  MATCH chain = (n) WHERE type(first) = 'CAN_ACCESS'
  RETURN [chain] AS chain, first AS last, n AS t
  UNION ALL
  // it assumes a role: the accounts the role's chain (assumptions and escalations) administers, one
  // shortest chain (both ends bound) to each identity that holds the grant ...
  WITH n, first, admins WHERE type(first) = 'CAN_ASSUME'
  CALL (n) { MATCH (n)-[:CAN_ASSUME|CAN_ESCALATE_TO*0..4]->(j:Identity) RETURN DISTINCT j }
  CALL (j, admins) {
    MATCH (j)-[grant:CAN_ESCALATE_TO]->(t:Account)
    RETURN t, grant
    UNION ALL
    WITH j, admins WHERE j IN admins
    MATCH (j)-[grant:CAN_ACCESS]->(t:Account) WHERE grant.level = 'admin'
    RETURN t, grant
  }
  WITH n, j, collect({t: t, grant: grant}) AS grants
  MATCH chain = SHORTEST 1 (n)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(:Identity)){0,4}(j)
  UNWIND grants AS granted
  WITH granted.t AS t, j, chain, granted.grant AS grant ORDER BY length(chain)
  WITH t, collect({chain: chain, j: j, grant: grant})[0] AS best
  WITH t, best.chain AS chain, best.j AS j, best.grant AS grant
  MATCH access = (j)-[last]->(t) WHERE last = grant
  RETURN [chain, access] AS chain, last, t
  UNION ALL
  // ... and the data it reads through identities short of admin (what an admin reads is implied by the
  // account's finding), one shortest chain to each identity that reads a target
  WITH n, first, admins WHERE type(first) = 'CAN_ASSUME' AND NOT n IN admins
  CALL (n, admins) {
    MATCH via = (n)-[:CAN_ASSUME|CAN_ESCALATE_TO*0..4]->(j:Identity) WHERE all(y IN nodes(via) WHERE NOT y IN admins)
    RETURN DISTINCT j
  }
  MATCH (j)-[read:CAN_ACCESS]->(t:Asset)
  WHERE NOT t:Account AND (t:Secret OR t:Key OR t.criticality IN ['critical', 'high']
                           OR EXISTS { (t)-[:CONTAINS*0..2]->()-[:STORES]->(:SensitiveInfoType) })
  WITH n, admins, j, collect({t: t, read: read}) AS reads
  MATCH chain = SHORTEST 1 (n)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(y:Identity WHERE NOT y IN admins)){0,4}(j)
  UNWIND reads AS found
  WITH found.t AS t, j, chain, found.read AS read ORDER BY length(chain)
  WITH t, collect({chain: chain, j: j, read: read})[0] AS best
  WITH t, best.chain AS chain, best.j AS j, best.read AS read
  MATCH access = (j)-[last]->(t) WHERE last = read
  RETURN [chain, access] AS chain, last, t
}
WITH x, first, n, chain, last, t, reduce(h = 0, p IN chain | h + length(p)) AS hops
WHERE hops < $max_hops
  AND (type(first) = 'CAN_ASSUME' OR t:Secret OR t:Key OR t.criticality IN ['critical', 'high']
       OR EXISTS { (t)-[:CONTAINS*0..2]->()-[:STORES]->(:SensitiveInfoType) })
WITH x, first, n, chain, hops, last, t, t:Account AS admin, x.principal_type = 'anyone'
       OR (x.principal_type = 'federated' AND type(first) = 'CAN_ASSUME') AS open,
     [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
MATCH admitted = (x)-[first]->(n)
RETURN [admitted] + chain AS path, x AS entry, t AS target,
  {exposure: CASE WHEN open THEN 'public' ELSE 'external' END,
   weaknesses: CASE WHEN open THEN ['open-trust'] ELSE [] END,
   privilege: CASE WHEN admin THEN 'admin' ELSE last.level END,
   sensitivity: sensitivity, critical: t.criticality IN ['critical', 'high'],
   target_class: CASE WHEN admin THEN 'admin' WHEN t.criticality IN ['critical', 'high'] THEN 'crown-jewel'
                      WHEN size(sensitivity) > 0 THEN 'data' ELSE 'secret' END, chain: hops > 0,
   method: reduce(f = [], p IN chain | f + [r IN relationships(p) WHERE type(r) = 'CAN_ESCALATE_TO' | r.method])[0]} AS evidence
