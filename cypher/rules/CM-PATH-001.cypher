// id: CM-PATH-001
// title: Attack path from the internet to sensitive data
// short_title: Internet → … → sensitive data
// description: An internet-exposed workload reaches classified data, a secret, a key or a crown jewel through
//   any chain of attacker moves (lateral network reach, the workload's identity, role assumption, privilege
//   escalation, credentials left in configuration). Weaknesses of the entry (IMDSv1 with a role, password
//   sign-in, open management ports, credentials in configuration, no-auth function URLs) count as
//   exploitability like vulnerabilities; without any, the compromise of the entry is assumed.
// severity: high
// generic: true
// risk_factors: [internet-exposure, sensitive-data]
// params: {max_hops: 8, min_cvss: 7.0}
// attack: [T1190, T1078.004, T1530]
// remediation: Break the path at its cheapest hop (docs/scoring.md lists what each move needs) - usually the
//   exposure of the entry, the permission behind the last CAN_ACCESS, or the trust or escalation in between.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/how-to-manage-attack-path']
MATCH (t:Asset) WHERE NOT t:Account
  AND (t:Secret OR t:Key OR t.criticality IN ['critical', 'high']
       OR EXISTS { (t)-[:CONTAINS*0..2]->()-[:STORES]->(:SensitiveInfoType) })
WITH collect(t) AS targets
// An identity that is admin of its account is CM-PATH-002's target: what it can read is implied there, so
// chains reach data only through identities short of admin (one finding for the account, not one per store).
WITH targets, COLLECT { MATCH (:Account)<-[g:CAN_ACCESS]-(a:Identity) WHERE g.level = 'admin' RETURN DISTINCT a } AS admins
// The search is split where the chain lands on an identity: the lateral head from each entry, then the
// identity tail from each identity it lands on. Each half is a shortest-path search with few partitions,
// where one search over the whole chain kept state for every mix of moves from every entry to every target.
MATCH (net:Internet)-[reach:CAN_REACH]->(e:Asset)
WHERE NOT e:DataStore
WITH net, e, collect(reach) AS reaches, targets, admins
CALL (e, targets, admins) {
  // one lateral search (at most two hops, never through another exposed asset) onto an identity the entry
  // can act as, or onto a database or a store a credential in configuration opens ...
  MATCH head = SHORTEST 1 (e)(()-[:CAN_CONNECT_TO]->(n WHERE NOT EXISTS { (:Internet)-[:CAN_REACH]->(n) })){0,2}
        ()-[step:CAN_AUTHENTICATE_AS|EXPOSES_CREDENTIAL|CAN_CONNECT_TO]->(x WHERE x:Identity OR x IN targets)
  WHERE (x:Identity AND type(step) <> 'CAN_CONNECT_TO') OR (x:DataStore AND (type(step) <> 'CAN_CONNECT_TO' OR x:Database))
  CALL (head, x, step, targets, admins) {
    WITH head, x AS t, step AS last WHERE t:DataStore
    RETURN [head] AS chain, length(head) AS hops, last, t
    UNION ALL
    // ... then the targets the identity's chain (at most four assume / escalate moves) reads
    WITH head, x AS i, targets, admins WHERE i:Identity AND NOT i IN admins
    CALL (i, targets, admins) {
      // its own access is the shortest tail ...
      MATCH tail = (i)-[last:CAN_ACCESS]->(t) WHERE t IN targets
      WITH t, collect({tail: tail, last: last})[0] AS own
      RETURN t, [own.tail] AS tail, own.last AS last
      UNION ALL
      // ... the identities it can become (a breadth-first expansion) read the rest: one shortest chain to each
      // such identity (both ends bound: a search over a whole partition of targets costs far more), and each
      // target takes the shortest chain that reads it
      WITH i, targets, admins, COLLECT { MATCH (i)-[:CAN_ACCESS]->(o) RETURN o } AS owned
      CALL (i, admins) {
        MATCH via = (i)-[:CAN_ASSUME|CAN_ESCALATE_TO*1..4]->(j:Identity) WHERE all(x IN nodes(via) WHERE NOT x IN admins)
        RETURN DISTINCT j
      }
      MATCH (j)-[last:CAN_ACCESS]->(t) WHERE t IN targets AND j <> i AND NOT t IN owned
      WITH i, j, collect({t: t, last: last}) AS reads
      MATCH chain = SHORTEST 1 (i)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(x:Identity WHERE NOT x IN admins)){1,4}(j)
      UNWIND reads AS read
      WITH read.t AS t, j, chain, read.last AS read ORDER BY length(chain)
      WITH t, collect({chain: chain, j: j, read: read})[0] AS best
      WITH t, best.chain AS chain, best.j AS j, best.read AS read
      MATCH access = (j)-[last]->(t) WHERE last = read
      RETURN t, [chain, access] AS tail, last
    }
    RETURN [head] + tail AS chain, reduce(n = length(head), p IN tail | n + length(p)) AS hops, last, t
  }
  RETURN chain, hops, last, t
}
WITH net, e, reaches, chain, hops, last, t
WHERE hops < $max_hops AND t <> e
// one row per (entry, target): the shortest chain, and how many other chains were found
ORDER BY hops
WITH net, e, reaches, t, collect({chain: chain, hops: hops, last: last}) AS found
WITH net, e, reaches, t, found[0].chain AS chain, found[0].hops AS hops, found[0].last AS last,
     size(found) - 1 AS other_paths,
     [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity,
     [(e)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability) WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
MATCH exposed = (net)-[first:CAN_REACH]->(e) WHERE first = reaches[0]
RETURN [exposed] + chain AS path, e AS entry, t AS target, other_paths,
  {exposure: 'internet', ports: reduce(p = [], r IN reaches | p + coalesce(r.ports, [])),
   weaknesses: reduce(w = [], r IN reaches | w + coalesce(r.weaknesses, [])),
   privilege: CASE WHEN type(last) = 'CAN_ACCESS' THEN last.level ELSE 'read' END,
   sensitivity: sensitivity, critical: t.criticality IN ['critical', 'high'],
   target_class: CASE WHEN t.criticality IN ['critical', 'high'] THEN 'crown-jewel'
                      WHEN size(sensitivity) > 0 THEN 'data' ELSE 'secret' END,
   max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN v.cvss > m THEN v.cvss ELSE m END),
   epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
   kev: any(v IN vulns WHERE v.kev), rce: any(v IN vulns WHERE v.rce),
   vulnerabilities: [v IN vulns | v.id][..20], chain: hops > 1} AS evidence
