// id: CM-VM-001
// title: Internet-exposed VM with high-severity vulnerabilities
// short_title: Exposed VM with high CVEs
// description: A virtual machine reachable from the internet runs software with vulnerabilities at or above
//   min_cvss.
// severity: medium
// risk_factors: [internet-exposure, vulnerability]
// params: {min_cvss: 7.0}
// attack: [T1190]
// remediation: Patch the vulnerable packages, or remove the internet exposure (security group / NSG rule,
//   public IP).
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[reach:CAN_REACH]->(vm:VirtualMachine)
WITH path, reach, vm, [(vm)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, vm AS entry, vm AS target,
  {exposure: 'internet', ports: reach.ports, max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
