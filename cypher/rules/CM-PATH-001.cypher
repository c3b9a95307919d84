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
// The targets first, then what can lead to them: the identities within four moves of one (which the
// chain's identity hops may visit) and the workloads within two lateral hops of such an identity or of a
// target database (which the lateral hops may visit). The search from each entry walks only those.
CALL (targets) {
  UNWIND targets AS t
  MATCH (t)<-[:CAN_ACCESS]-(:Identity)<-[:CAN_ASSUME|CAN_ESCALATE_TO*0..4]-(i:Identity)
  RETURN collect(DISTINCT i) AS leads
}
CALL (targets, leads) {
  CALL (targets, leads) {
    UNWIND leads AS i
    MATCH (w:Asset)-[:CAN_AUTHENTICATE_AS|EXPOSES_CREDENTIAL]->(i)
    RETURN w
    UNION
    UNWIND targets AS t
    MATCH (w:Asset)-[:CAN_CONNECT_TO|EXPOSES_CREDENTIAL]->(t:DataStore)
    RETURN w
  }
  WITH DISTINCT w
  MATCH (w)<-[:CAN_CONNECT_TO*0..2]-(x)
  RETURN collect(DISTINCT x) AS lanes
}
MATCH (net:Internet)-[reach:CAN_REACH]->(e:Asset)
WHERE NOT e:DataStore AND e IN lanes
WITH net, e, collect(reach) AS reaches, targets, leads, lanes
CALL (e, targets, leads, lanes) {
  // lateral reach (at most two hops, never through another exposed asset), then the identity chain
  MATCH chain = SHORTEST 3 (e)(()-[:CAN_CONNECT_TO]->(n WHERE n IN lanes AND NOT EXISTS { (:Internet)-[:CAN_REACH]->(n) })){0,2}
        ()-[:CAN_AUTHENTICATE_AS|EXPOSES_CREDENTIAL]->(i:Identity WHERE i IN leads)
        (()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(j:Identity WHERE j IN leads)){0,4}
        ()-[last:CAN_ACCESS]->(t:Asset WHERE t IN targets)
  RETURN chain, last, t
  UNION
  // lateral reach to a database, or a credential in configuration that opens a store
  MATCH chain = SHORTEST 3 (e)(()-[:CAN_CONNECT_TO]->(n WHERE n IN lanes AND NOT EXISTS { (:Internet)-[:CAN_REACH]->(n) })){0,2}
        ()-[last:CAN_CONNECT_TO|EXPOSES_CREDENTIAL]->(t:DataStore WHERE t IN targets)
  RETURN chain, last, t
}
WITH net, e, reaches, chain, last, t
WHERE length(chain) < $max_hops AND t <> e
  AND (type(last) <> 'CAN_CONNECT_TO' OR t:Database)
WITH net, e, reaches, chain, last, t,
     [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity,
     [(e)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability) WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
MATCH exposed = (net)-[first:CAN_REACH]->(e) WHERE first = reaches[0]
RETURN [exposed, chain] AS path, e AS entry, t AS target,
  {exposure: 'internet', ports: reduce(p = [], r IN reaches | p + coalesce(r.ports, [])),
   weaknesses: reduce(w = [], r IN reaches | w + coalesce(r.weaknesses, [])),
   privilege: CASE WHEN type(last) = 'CAN_ACCESS' THEN last.level ELSE 'read' END,
   sensitivity: sensitivity, critical: t.criticality IN ['critical', 'high'],
   target_class: CASE WHEN t.criticality IN ['critical', 'high'] THEN 'crown-jewel'
                      WHEN size(sensitivity) > 0 THEN 'data' ELSE 'secret' END,
   max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN v.cvss > m THEN v.cvss ELSE m END),
   epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
   kev: any(v IN vulns WHERE v.kev), rce: any(v IN vulns WHERE v.rce),
   vulnerabilities: [v IN vulns | v.id][..20], chain: length(chain) > 1} AS evidence
