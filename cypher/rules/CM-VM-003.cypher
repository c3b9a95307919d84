// id: CM-VM-003
// title: Internet-exposed vulnerable VM can access sensitive data
// short_title: Exposed vuln VM → sensitive data
// description: An internet-exposed VM with high-severity vulnerabilities runs as an identity that can read
//   or write a data store holding sensitive data (PCI, PII, PHI, secrets).
// severity: high
// risk_factors: [internet-exposure, vulnerability, sensitive-data]
// params: {min_cvss: 7.0}
// attack: [T1190, T1530]
// remediation: Patch the VM first; remove its internet exposure; restrict its identity's access to the sensitive
//   store.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[reach:CAN_REACH]->(w:VirtualMachine)-[:CAN_AUTHENTICATE_AS]->(:Identity)
      -[:CAN_ASSUME*0..2]->(id:Identity)-[acc:CAN_ACCESS]->(t:DataStore)
WITH path, reach, w, acc, t, [(t)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
WHERE size(sensitivity) > 0
WITH path, reach, w, acc, t, sensitivity, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, w AS entry, t AS target,
  {exposure: 'internet', ports: reach.ports, privilege: acc.level, sensitivity: sensitivity,
  critical: (t.criticality IN ['critical', 'high']), max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
