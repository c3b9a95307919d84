// id: CM-PATH-006
// title: Blast radius of an asset assumed compromised
// short_title: Compromised → … → data, admin
// description: The assets named in the `compromised` parameter (asset ids of workloads, or of identities such as
//   a user whose keys leaked) are taken as already in the attacker's hands, exposed or not. The rule reports
//   what each reaches through any chain of attacker moves (classified data, a secret, a key, a crown jewel,
//   or admin of an account). Empty by default, so `cloudmap analyze` reports nothing for it; run it with
//   `cloudmap rules run CM-PATH-006 --param compromised=ID,ID` during an incident or a what-if review.
// severity: high
// generic: true
// risk_factors: [sensitive-data]
// params: {compromised: [], max_hops: 8}
// attack: [T1078.004, T1021, T1530]
// remediation: Contain the asset (isolate it, revoke its sessions and credentials), then break the reported
//   chains at their cheapest hop, usually the trust or permission behind the first identity move.
// references: ['https://bloodhound.specterops.io/', 'https://learn.microsoft.com/en-us/azure/defender-for-cloud/concept-attack-path']
MATCH (e:Asset) WHERE e.id IN $compromised
WITH collect(e) AS entries
MATCH (t:Asset) WHERE size(entries) > 0 AND NOT t:Account
  AND (t:Secret OR t:Key OR t.criticality IN ['critical', 'high']
       OR EXISTS { (t)-[:CONTAINS*0..2]->()-[:STORES]->(:SensitiveInfoType) })
WITH entries, collect(t) AS targets
WITH entries, targets,
     COLLECT { MATCH (:Account)<-[g:CAN_ACCESS]-(a:Identity) WHERE g.level = 'admin' RETURN DISTINCT a } AS admins
UNWIND entries AS e
// The search is split where the chain lands on an identity, as CM-PATH-001 does.
CALL (e, targets, admins) {
  // the identity the asset acts as, after at most two lateral hops, or the identity itself ...
  CALL (e) {
    MATCH head = SHORTEST 1 (e)(()-[:CAN_CONNECT_TO]->()){0,2}()-[:CAN_AUTHENTICATE_AS|EXPOSES_CREDENTIAL]->(i:Identity)
    RETURN head, i
    UNION ALL
    MATCH head = (e:Identity)
    RETURN head, e AS i
  }
  // ... then the accounts its identity chain (at most four assume / escalate moves) administers ...
  CALL (i, admins, targets) {
    CALL (i) { MATCH (i)-[:CAN_ASSUME|CAN_ESCALATE_TO*0..4]->(j:Identity) RETURN DISTINCT j }
    MATCH (j)-[grant:CAN_ACCESS|CAN_ESCALATE_TO]->(t:Account)
    WHERE type(grant) = 'CAN_ESCALATE_TO' OR grant.level = 'admin'
    WITH i, j, collect({t: t, grant: grant}) AS grants
    MATCH chain = SHORTEST 1 (i)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(:Identity)){0,4}(j)
    UNWIND grants AS granted
    WITH granted.t AS t, j, chain, granted.grant AS grant ORDER BY length(chain)
    WITH t, collect({chain: chain, j: j, grant: grant})[0] AS best
    WITH t, best.chain AS chain, best.j AS j, best.grant AS grant
    MATCH access = (j)-[last]->(t) WHERE last = grant
    RETURN t, [chain, access] AS tail, last
    UNION ALL
    // ... and the data it reads through identities short of admin (what an admin reads is implied by the
    // account's finding): its own access, then one shortest chain to each identity it can become
    WITH i, admins, targets WHERE NOT i IN admins
    MATCH tail = (i)-[last:CAN_ACCESS]->(t) WHERE t IN targets
    WITH t, collect({tail: tail, last: last})[0] AS own
    RETURN t, [own.tail] AS tail, own.last AS last
    UNION ALL
    WITH i, admins, targets, COLLECT { MATCH (i)-[:CAN_ACCESS]->(o) RETURN o } AS owned WHERE NOT i IN admins
    CALL (i, admins) {
      MATCH via = (i)-[:CAN_ASSUME|CAN_ESCALATE_TO*1..4]->(j:Identity) WHERE all(x IN nodes(via) WHERE NOT x IN admins)
      RETURN DISTINCT j
    }
    MATCH (j)-[last:CAN_ACCESS]->(t) WHERE t IN targets AND j <> i AND NOT t IN owned
    WITH i, admins, j, collect({t: t, last: last}) AS reads
    MATCH chain = SHORTEST 1 (i)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(x:Identity WHERE NOT x IN admins)){1,4}(j)
    UNWIND reads AS read
    WITH read.t AS t, j, chain, read.last AS read ORDER BY length(chain)
    WITH t, collect({chain: chain, j: j, read: read})[0] AS best
    WITH t, best.chain AS chain, best.j AS j, best.read AS read
    MATCH access = (j)-[last]->(t) WHERE last = read
    RETURN t, [chain, access] AS tail, last
  }
  RETURN [head] + tail AS chain, reduce(n = length(head), p IN tail | n + length(p)) AS hops, last, t
  UNION ALL
  // lateral reach to a database, or a credential in configuration that opens a store
  MATCH head = SHORTEST 1 (e)(()-[:CAN_CONNECT_TO]->()){0,2}
        ()-[last:CAN_CONNECT_TO|EXPOSES_CREDENTIAL]->(t:DataStore WHERE t IN targets)
  WHERE type(last) <> 'CAN_CONNECT_TO' OR t:Database
  RETURN [head] AS chain, length(head) AS hops, last, t
}
WITH e, chain, hops, last, t
WHERE hops <= $max_hops AND t <> e
// one row per (entry, target): the shortest chain, and how many other chains were found
ORDER BY hops
WITH e, t, collect({chain: chain, hops: hops, last: last}) AS found
WITH e, t, found[0].chain AS chain, found[0].hops AS hops, found[0].last AS last, size(found) - 1 AS other_paths,
     [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
RETURN chain AS path, e AS entry, t AS target, other_paths,
  {exposure: 'compromised',
   privilege: CASE WHEN t:Account THEN 'admin' WHEN type(last) = 'CAN_ACCESS' THEN coalesce(last.level, 'read') ELSE 'read' END,
   sensitivity: sensitivity, critical: t.criticality IN ['critical', 'high'],
   target_class: CASE WHEN t:Account THEN 'admin' WHEN t.criticality IN ['critical', 'high'] THEN 'crown-jewel'
                      WHEN size(sensitivity) > 0 THEN 'data' ELSE 'secret' END,
   chain: hops > 1,
   method: reduce(f = [], p IN chain | f + [r IN relationships(p) WHERE type(r) = 'CAN_ESCALATE_TO' | r.method])[0]} AS evidence
