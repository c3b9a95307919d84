// id: CM-LM-004
// title: Vulnerable VM reachable by lateral movement has admin rights on the account
// short_title: Lateral move → account admin
// description: An attacker on an internet-exposed workload can reach a vulnerable VM whose identity has
//   full control of the account or subscription.
// severity: critical
// risk_factors: [lateral-movement, vulnerability, privileged-identity]
// params: {min_cvss: 7.0}
// attack: [T1210, T1078.004]
// remediation: Replace the VM's admin role with a least-privilege one; patch it and restrict east-west traffic
//   to it.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[:CAN_REACH]->(src)-[hop:CAN_CONNECT_TO]->(w:VirtualMachine)-[:CAN_AUTHENTICATE_AS]->(:Identity)
      -[:CAN_ASSUME*0..2]->(id:Identity)-[acc:CAN_ACCESS]->(t:Account)
WHERE NOT EXISTS { (:Internet)-[:CAN_REACH]->(w) }
AND acc.level = 'admin'
WITH path, hop, src, w, acc, t, [] AS sensitivity
WITH path, hop, src, w, acc, t, sensitivity, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, src AS entry, t AS target,
  {exposure: 'lateral', ports: hop.ports, privilege: acc.level, sensitivity: sensitivity, critical: (t.criticality IN ['critical', 'high']),
  max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
