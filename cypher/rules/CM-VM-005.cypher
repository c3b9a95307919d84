// id: CM-VM-005
// title: Internet-exposed vulnerable VM has admin rights on the account
// short_title: Exposed vuln VM is account admin
// description: An internet-exposed VM with high-severity vulnerabilities runs as an identity with full control
//   of its AWS account or Azure subscription.
// severity: critical
// risk_factors: [internet-exposure, vulnerability, privileged-identity]
// params: {min_cvss: 7.0}
// attack: [T1190, T1078.004]
// remediation: Replace the VM's admin role with a least-privilege one; patch it and remove its internet
//   exposure.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[reach:CAN_REACH]->(w:VirtualMachine)-[:CAN_AUTHENTICATE_AS]->(:Identity)
      -[:CAN_ASSUME*0..2]->(id:Identity)-[acc:CAN_ACCESS]->(t:Account)
WHERE acc.level = 'admin'
WITH path, reach, w, acc, t, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, w AS entry, t AS target,
  {exposure: 'internet', ports: reach.ports, privilege: acc.level, sensitivity: [],
  critical: (t.criticality IN ['critical', 'high']), max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
