// id: CM-VM-008
// title: VM with high-severity vulnerabilities
// short_title: VM with high-severity CVEs
// description: A virtual machine that is not reachable from the internet runs software with vulnerabilities
//   at or above min_cvss. The exposure factor says whether it is reachable laterally from an exposed workload.
// severity: low
// risk_factors: [vulnerability]
// params: {min_cvss: 7.0}
// attack: [T1210]
// remediation: Patch the vulnerable packages in the next maintenance window.
MATCH path = (vm:VirtualMachine)
WHERE NOT EXISTS { (:Internet)-[:CAN_REACH]->(vm) }
WITH path, vm, [(vm)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, vm AS entry, vm AS target,
  {exposure: CASE WHEN EXISTS { (:Internet)-[:CAN_REACH]->()-[:CAN_CONNECT_TO]->(vm) } THEN 'lateral'
               WHEN EXISTS { ()-[:CAN_CONNECT_TO]->(vm) } THEN 'internal' ELSE 'none' END,
  max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
