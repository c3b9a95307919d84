// id: CM-PATH-002
// title: Attack path from the internet to account admin
// short_title: Internet → … → account admin
// description: An internet-exposed workload becomes administrator of an account or subscription through any
//   chain of attacker moves (lateral network reach, the workload's identity, role assumption, privilege
//   escalation, credentials left in configuration). Weaknesses of the entry count as exploitability like
//   vulnerabilities; without any, the compromise of the entry is assumed. A chain through another
//   internet-exposed asset is that asset's path, not this entry's.
// severity: high
// generic: true
// risk_factors: [internet-exposure, privileged-identity]
// params: {max_hops: 8, min_cvss: 7.0}
// attack: [T1190, T1078.004, T1098]
// remediation: Break the path at its cheapest hop - the exposure of the entry, the escalation permission or
//   trust in between, or the admin rights at its end (least privilege, a permission boundary).
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/how-to-manage-attack-path']
WITH COLLECT { MATCH (:Account)<-[g:CAN_ACCESS]-(a:Identity) WHERE g.level = 'admin' RETURN DISTINCT a } AS admins
MATCH (net:Internet)-[reach:CAN_REACH]->(e:Asset)
WHERE NOT e:DataStore
WITH net, e, collect(reach) AS reaches, admins
// Split where the chain lands on an identity, as CM-PATH-001 does: the lateral head from the entry, then
// the accounts the identity's chain can administer: the distinct identities first, one shortest chain
// to each that administers an account (both ends bound), and each account takes the shortest.
CALL (e, admins) {
  MATCH head = SHORTEST 1 (e)(()-[:CAN_CONNECT_TO]->(n WHERE NOT EXISTS { (:Internet)-[:CAN_REACH]->(n) })){0,2}
        ()-[:CAN_AUTHENTICATE_AS|EXPOSES_CREDENTIAL]->(i:Identity)
  CALL (i, admins) {
    CALL (i) { MATCH (i)-[:CAN_ASSUME|CAN_ESCALATE_TO*0..4]->(j:Identity) RETURN DISTINCT j }
    CALL (j, admins) {
      MATCH (j)-[grant:CAN_ESCALATE_TO]->(t:Account)
      RETURN t, grant
      UNION ALL
      WITH j, admins WHERE j IN admins     // only admins hold such a grant: no one else's access is expanded
      MATCH (j)-[grant:CAN_ACCESS]->(t:Account) WHERE grant.level = 'admin'
      RETURN t, grant
    }
    WITH i, j, collect({t: t, grant: grant}) AS grants
    MATCH chain = SHORTEST 1 (i)(()-[:CAN_ASSUME|CAN_ESCALATE_TO]->(:Identity)){0,4}(j)
    UNWIND grants AS granted
    WITH granted.t AS t, j, chain, granted.grant AS grant ORDER BY length(chain)
    WITH t, collect({chain: chain, j: j, grant: grant})[0] AS best
    WITH t, best.chain AS chain, best.j AS j, best.grant AS grant
    MATCH access = (j)-[last]->(t) WHERE last = grant
    RETURN t, [chain, access] AS tail
  }
  RETURN [head] + tail AS chain, reduce(n = length(head), p IN tail | n + length(p)) AS hops, t
}
WITH net, e, reaches, chain, hops, t
WHERE hops < $max_hops
ORDER BY hops
WITH net, e, reaches, t, collect({chain: chain, hops: hops}) AS found
WITH net, e, reaches, t, found[0].chain AS chain, found[0].hops AS hops, size(found) - 1 AS other_paths,
     [(e)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability) WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
MATCH exposed = (net)-[first:CAN_REACH]->(e) WHERE first = reaches[0]
WITH net, e, reaches, t, chain, hops, other_paths, vulns, exposed,
     [p IN chain | [r IN relationships(p) WHERE type(r) = 'CAN_ESCALATE_TO' | r.method]] AS methods
RETURN [exposed] + chain AS path, e AS entry, t AS target, other_paths,
  {exposure: 'internet', ports: reduce(p = [], r IN reaches | p + coalesce(r.ports, [])),
   weaknesses: reduce(w = [], r IN reaches | w + coalesce(r.weaknesses, [])),
   privilege: 'admin', target_class: 'admin', critical: t.criticality IN ['critical', 'high'],
   max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN v.cvss > m THEN v.cvss ELSE m END),
   epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
   kev: any(v IN vulns WHERE v.kev), rce: any(v IN vulns WHERE v.rce),
   vulnerabilities: [v IN vulns | v.id][..20], chain: hops > 1,
   method: reduce(f = [], m IN methods | f + m)[0]} AS evidence
