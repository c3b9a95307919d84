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
MATCH (x:ExternalPrincipal)-[first:CAN_ASSUME|CAN_ACCESS]->(n:Asset)
WHERE NOT coalesce(first.conditional, false)
CALL (first, n) {
  // a resource policy lets it in: the target is one hop away
  MATCH chain = (n) WHERE type(first) = 'CAN_ACCESS'
  RETURN chain, first AS last, n AS t
  UNION
  // it assumes a role, then moves on through assumptions and escalations
  MATCH chain = SHORTEST 3 (n)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(:Identity)){0,4}
        (:Identity)-[last:CAN_ACCESS|CAN_ESCALATE_TO]->(t:Asset)
  WHERE type(first) = 'CAN_ASSUME'
    AND ((t:Account AND (type(last) = 'CAN_ESCALATE_TO' OR last.level = 'admin'))
         OR (type(last) = 'CAN_ACCESS' AND NOT t:Account
             AND (t:Secret OR t:Key OR t.criticality IN ['critical', 'high']
                  OR EXISTS { (t)-[:CONTAINS*0..2]->()-[:STORES]->(:SensitiveInfoType) })))
  RETURN chain, last, t
}
WITH x, first, n, chain, last, t
WHERE length(chain) < $max_hops
  AND (type(first) = 'CAN_ASSUME' OR t:Secret OR t:Key OR t.criticality IN ['critical', 'high']
       OR EXISTS { (t)-[:CONTAINS*0..2]->()-[:STORES]->(:SensitiveInfoType) })
WITH x, first, n, chain, last, t, t:Account AS admin, x.principal_type = 'anyone'
       OR (x.principal_type = 'federated' AND type(first) = 'CAN_ASSUME') AS open,
     [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
MATCH admitted = (x)-[first]->(n)
RETURN [admitted, chain] AS path, x AS entry, t AS target,
  {exposure: CASE WHEN open THEN 'public' ELSE 'external' END,
   weaknesses: CASE WHEN open THEN ['open-trust'] ELSE [] END,
   privilege: CASE WHEN admin THEN 'admin' ELSE last.level END,
   sensitivity: sensitivity, critical: t.criticality IN ['critical', 'high'],
   target_class: CASE WHEN admin THEN 'admin' WHEN t.criticality IN ['critical', 'high'] THEN 'crown-jewel'
                      WHEN size(sensitivity) > 0 THEN 'data' ELSE 'secret' END, chain: length(chain) > 0,
   method: [r IN relationships(chain) WHERE type(r) = 'CAN_ESCALATE_TO' | r.method][0]} AS evidence
