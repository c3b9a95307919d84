// id: CM-VM-006
// title: Internet-exposed VM with a known exploited vulnerability
// short_title: Exposed VM with a KEV CVE
// description: 'A virtual machine reachable from the internet has a vulnerability listed in CISA''s Known
//   Exploited Vulnerabilities catalog: attackers use it in the wild.'
// severity: high
// risk_factors: [internet-exposure, exploited-vulnerability, vulnerability]
// attack: [T1190]
// remediation: Patch the KEV vulnerability now (CISA deadlines apply to federal agencies), or take the VM
//   off the internet.
// references: ['https://www.cisa.gov/known-exploited-vulnerabilities-catalog']
MATCH path = (:Internet)-[reach:CAN_REACH]->(vm:VirtualMachine)
WITH path, reach, vm, [(vm)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability) WHERE v.kev = true | v] AS vulns
WHERE size(vulns) > 0
RETURN path, vm AS entry, vm AS target,
  {exposure: 'internet', ports: reach.ports, max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
