// id: CM-FN-002
// title: Internet-exposed function with high-severity vulnerabilities
// short_title: Exposed vulnerable function
// description: A serverless function reachable from the internet has dependencies or an image with vulnerabilities
//   at or above min_cvss.
// severity: medium
// risk_factors: [internet-exposure, vulnerability]
// params: {min_cvss: 7.0}
// attack: [T1190]
// remediation: Update the vulnerable dependencies and redeploy the function.
MATCH path = (:Internet)-[reach:CAN_REACH]->(w:Function)
WITH path, reach, w, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, w AS entry, w AS target,
  {exposure: 'internet', weaknesses: CASE WHEN w.url_auth_type = 'NONE' OR w.public = true THEN ['no-auth'] ELSE [] END,
  max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
