// id: CM-LM-002
// title: Vulnerable VM reachable by lateral movement can access sensitive data
// short_title: Lateral move → sensitive data
// description: An attacker on an internet-exposed workload can reach a vulnerable VM whose identity can
//   access a data store holding sensitive data.
// severity: high
// risk_factors: [lateral-movement, vulnerability, sensitive-data]
// params: {min_cvss: 7.0}
// attack: [T1210, T1530]
// remediation: Patch the VM, restrict east-west traffic to it, and narrow its identity's access to the sensitive
//   store.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[:CAN_REACH]->(src)-[hop:CAN_CONNECT_TO]->(w:VirtualMachine)-[:CAN_AUTHENTICATE_AS]->(:Identity)
      -[:CAN_ASSUME*0..2]->(id:Identity)-[acc:CAN_ACCESS]->(t:DataStore)
WHERE NOT EXISTS { (:Internet)-[:CAN_REACH]->(w) }
WITH path, hop, src, w, acc, t, [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
WHERE size(sensitivity) > 0
WITH path, hop, src, w, acc, t, sensitivity, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, src AS entry, t AS target,
  {exposure: 'lateral', ports: hop.ports, privilege: acc.level, sensitivity: sensitivity, critical: (t.criticality IN ['critical', 'high']),
  max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
