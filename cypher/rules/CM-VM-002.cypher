// id: CM-VM-002
// title: Internet-exposed vulnerable VM can access a data store
// short_title: Exposed vuln VM → data store
// description: An internet-exposed VM with high-severity vulnerabilities runs as an identity that can access
//   a data store (one without known sensitive data; CM-VM-003 covers those).
// severity: medium
// risk_factors: [internet-exposure, vulnerability]
// params: {min_cvss: 7.0}
// attack: [T1190, T1530]
// remediation: Patch the VM, remove its internet exposure, or narrow its identity's permissions to what
//   it needs.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[reach:CAN_REACH]->(w:VirtualMachine)-[:CAN_AUTHENTICATE_AS]->(:Identity)
      -[:CAN_ASSUME*0..2]->(id:Identity)-[acc:CAN_ACCESS]->(t:DataStore)
WHERE NOT EXISTS { (t)-[:CONTAINS*0..2]->()-[:STORES]->() }
WITH path, reach, w, acc, t, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, w AS entry, t AS target,
  {exposure: 'internet', ports: reach.ports, privilege: acc.level, sensitivity: [],
  critical: (t.criticality IN ['critical', 'high']), max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
