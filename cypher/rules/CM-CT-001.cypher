// id: CM-CT-001
// title: Internet-exposed container runs an image with RCE vulnerabilities
// short_title: Exposed container with RCE CVEs
// description: A pod or container service reachable from the internet runs an image with remote-code-execution
//   vulnerabilities at or above min_cvss.
// severity: high
// risk_factors: [internet-exposure, vulnerability, rce]
// params: {min_cvss: 7.0}
// attack: [T1190, T1610]
// remediation: Rebuild the image on patched packages and redeploy; restrict the ingress / load balancer
//   meanwhile.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[reach:CAN_REACH]->(w:Pod|ContainerService)-[:RUNS_IMAGE]->(img:ContainerImage)
WITH path, reach, w, img, [(img)-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE v.rce = true AND coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, w AS entry, img AS target,
  {exposure: 'internet', ports: reach.ports, image: img.id, max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
