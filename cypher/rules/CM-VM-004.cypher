// id: CM-VM-004
// title: Internet-exposed vulnerable VM can use a key vault or KMS key
// short_title: Exposed vuln VM → vault/KMS key
// description: An internet-exposed VM with high-severity vulnerabilities runs as an identity with access
//   to a key vault or an encryption key, so an attacker who exploits it can decrypt data or read key material.
// severity: high
// risk_factors: [internet-exposure, vulnerability, credential-exposure]
// params: {min_cvss: 7.0}
// attack: [T1190, T1552]
// remediation: Patch the VM, remove its internet exposure, and scope key permissions to the workloads that
//   need them.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[reach:CAN_REACH]->(w:VirtualMachine)-[:CAN_AUTHENTICATE_AS]->(:Identity)
      -[:CAN_ASSUME*0..2]->(id:Identity)-[acc:CAN_ACCESS]->(t:Key|KeyVault)
WITH path, reach, w, acc, t, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, w AS entry, t AS target,
  {exposure: 'internet', ports: reach.ports, privilege: acc.level, sensitivity: ['secrets'],
  critical: (t.criticality IN ['critical', 'high']), max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
