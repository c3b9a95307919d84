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
// The search is split where the chain lands on an identity: the lateral head from each entry, then the
// identity tail from each identity it lands on. Each half is a shortest-path search with few partitions,
// where one search over the whole chain kept state for every mix of moves from every entry to every target.
MATCH (net:Internet)-[reach:CAN_REACH]->(e:Asset)
WHERE NOT e:DataStore
WITH net, e, collect(reach) AS reaches, targets
CALL (e, targets) {
  // lateral reach (at most two hops, never through another exposed asset) onto an identity ...
  MATCH head = SHORTEST 1 (e)(()-[:CAN_CONNECT_TO]->(n WHERE NOT EXISTS { (:Internet)-[:CAN_REACH]->(n) })){0,2}
        ()-[:CAN_AUTHENTICATE_AS|EXPOSES_CREDENTIAL]->(i:Identity)
  // ... then the targets its identity chain (at most four assume / escalate moves) can reach: the
  // distinct identities first (a breadth-first expansion), then one shortest tail per target
  // An identity that is admin of its account is CM-PATH-002's target: what it can read is implied there,
  // so data is reached only through identities short of admin (one finding for the account, not one per store).
  CALL (i, targets) {
    CALL (i) { MATCH (i)-[:CAN_ASSUME|CAN_ESCALATE_TO*0..4]->(j:Identity) RETURN DISTINCT j }
    MATCH (j)-[:CAN_ACCESS]->(t) WHERE t IN targets AND NOT EXISTS { (j)-[:CAN_ACCESS {level: 'admin'}]->(:Account) }
    WITH DISTINCT t
    MATCH tail = SHORTEST 1 (i)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(:Identity)){0,4}
          (k:Identity WHERE NOT EXISTS { (k)-[:CAN_ACCESS {level: 'admin'}]->(:Account) })-[last:CAN_ACCESS]->(t)
    RETURN t, tail, last
  }
  RETURN [head, tail] AS chain, length(head) + length(tail) AS hops, last, t
  UNION ALL
  // lateral reach to a database, or a credential in configuration that opens a store
  MATCH head = SHORTEST 1 (e)(()-[:CAN_CONNECT_TO]->(n WHERE NOT EXISTS { (:Internet)-[:CAN_REACH]->(n) })){0,2}
        ()-[last:CAN_CONNECT_TO|EXPOSES_CREDENTIAL]->(t:DataStore WHERE t IN targets)
  WHERE type(last) <> 'CAN_CONNECT_TO' OR t:Database
  RETURN [head] AS chain, length(head) AS hops, last, t
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
