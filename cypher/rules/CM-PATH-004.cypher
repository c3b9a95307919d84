// id: CM-PATH-004
// title: Principal with usable credentials reaches sensitive data through a chain
// short_title: Usable credentials → … → data
// description: An assumed-breach identity (an IAM user with an active access key or a console password, a
//   service principal with a valid secret, a GCP service account with a user-managed key) reaches classified
//   data, a secret, a key or a crown jewel that it cannot read directly, through role assumptions and
//   privilege escalations.
// severity: medium
// generic: true
// risk_factors: [sensitive-data]
// params: {max_hops: 6}
// attack: [T1078.004, T1530]
// remediation: Remove the trust or escalation permission behind the first hop, or scope the last role's data
//   access; rotate or remove the entry's credentials if they are not needed.
// references: ['https://github.com/nccgroup/PMapper']
WITH COLLECT { MATCH (:Account)<-[g:CAN_ACCESS]-(a:Identity) WHERE g.level = 'admin' RETURN DISTINCT a } AS admins
// An account admin (the entry or one on the way) is CM-PATH-003's finding, what it can read is implied
// there: chains reach data only through identities short of admin.
MATCH (p:Identity)
WHERE NOT p IN admins AND ((p:User AND (p.has_console_password = true
                    OR EXISTS { (p)-[:HAS_KEY]->(k) WHERE coalesce(k.status, 'Active') = 'Active' }))
   OR (p:ServicePrincipal AND (coalesce(p.valid_credentials, 0) > 0
                               OR EXISTS { (p)-[:HAS_KEY]->(k:Key) WHERE k.key_type = 'USER_MANAGED' })))
// The targets the principal reaches through at least one move: the distinct identities it can become
// (a breadth-first expansion), one shortest chain to each of those that reads a target (both ends bound),
// and each target takes the shortest chain that reads it.
CALL (p, admins) {
  MATCH via = (p)-[:CAN_ASSUME|CAN_ESCALATE_TO*1..6]->(j:Identity) WHERE all(x IN nodes(via) WHERE NOT x IN admins)
  RETURN DISTINCT j
}
MATCH (j)-[read:CAN_ACCESS]->(t:Asset)
WHERE j <> p AND NOT t:Account
  AND (t:Secret OR t:Key OR t.criticality IN ['critical', 'high']
       OR EXISTS { (t)-[:CONTAINS*0..2]->()-[:STORES]->(:SensitiveInfoType) })
  AND NOT EXISTS { (p)-[:CAN_ACCESS]->(t) }
WITH p, admins, j, collect({t: t, read: read}) AS reads
MATCH chain = SHORTEST 1 (p)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(x WHERE NOT x IN admins)){1,6}(j)
WHERE length(chain) < $max_hops
UNWIND reads AS read
WITH p, read.t AS t, j, chain, read.read AS read ORDER BY length(chain)
WITH p, t, collect({chain: chain, j: j, read: read})[0] AS best, count(DISTINCT j) AS through
WITH p, t, best.chain AS chain, best.j AS j, best.read AS read, through
MATCH access = (j)-[last]->(t) WHERE last = read
WITH chain, access, p, last, t, through,
     [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
RETURN [chain, access] AS path, p AS entry, t AS target, through - 1 AS other_paths,
  {exposure: 'identity', privilege: last.level, sensitivity: sensitivity, critical: t.criticality IN ['critical', 'high'],
   target_class: CASE WHEN t.criticality IN ['critical', 'high'] THEN 'crown-jewel'
                      WHEN size(sensitivity) > 0 THEN 'data' ELSE 'secret' END, chain: true,
   method: [r IN relationships(chain) WHERE type(r) = 'CAN_ESCALATE_TO' | r.method][0]} AS evidence
