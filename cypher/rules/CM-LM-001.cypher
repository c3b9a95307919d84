// id: CM-LM-001
// title: Vulnerable VM reachable by lateral movement from an internet-exposed workload
// short_title: Lateral move to a vulnerable VM
// description: 'A VM that is not itself exposed has high-severity vulnerabilities and can be reached over
//   the network from a workload that is internet-exposed: one compromise away.'
// severity: medium
// risk_factors: [lateral-movement, vulnerability]
// params: {min_cvss: 7.0}
// attack: [T1210, T1021]
// remediation: Patch the VM, and restrict east-west traffic (security groups / NSGs) to the ports the application
//   needs.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[:CAN_REACH]->(src)-[hop:CAN_CONNECT_TO]->(w:VirtualMachine)
WHERE NOT EXISTS { (:Internet)-[:CAN_REACH]->(w) }
WITH path, hop, src, w, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, src AS entry, w AS target,
  {exposure: 'lateral', ports: hop.ports, critical: (w.criticality IN ['critical', 'high']), max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
