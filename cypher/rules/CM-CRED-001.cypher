// id: CM-CRED-001
// title: Secrets readable from an internet-exposed workload
// short_title: Exposed workload reads secrets
// description: 'An internet-exposed workload runs as an identity that can read secrets (Secrets Manager,
//   Key Vault secrets, parameters): credentials to other systems are one compromise away.'
// severity: high
// risk_factors: [internet-exposure, credential-exposure]
// params: {min_cvss: 7.0}
// attack: [T1552, T1555]
// remediation: Scope secret read permissions to the secrets the workload needs, and restrict its exposure.
MATCH path = (:Internet)-[reach:CAN_REACH]->(w)-[:CAN_AUTHENTICATE_AS]->(:Identity)-[:CAN_ASSUME*0..2]->(id:Identity)-[acc:CAN_ACCESS]->(t:Secret)
WITH path, reach, w, acc, t, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
RETURN path, w AS entry, t AS target,
  {exposure: 'internet', ports: reach.ports, privilege: acc.level, sensitivity: ['secrets'], critical: (t.criticality IN ['critical', 'high']),
  max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
