// id: CM-LM-005
// title: Database with sensitive data reachable by lateral movement from a vulnerable internet-exposed workload
// short_title: Lateral move → sensitive database
// description: A private database that holds sensitive data accepts connections from an internet-exposed
//   workload with high-severity vulnerabilities; compromising that workload puts the database one login away.
// severity: high
// risk_factors: [lateral-movement, vulnerability, sensitive-data]
// params: {min_cvss: 7.0}
// attack: [T1210, T1530]
// remediation: Patch the exposed workload, and allow only the application tier into the database's security group.
// references: ['https://learn.microsoft.com/en-us/azure/defender-for-cloud/attack-path-reference']
MATCH path = (:Internet)-[:CAN_REACH]->(src)-[hop:CAN_CONNECT_TO]->(db:Database)
WHERE NOT EXISTS { (:Internet)-[:CAN_REACH]->(db) }
WITH path, hop, src, db, [(db)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
WHERE size(sensitivity) > 0
WITH path, hop, src, db, sensitivity, [(src)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
WHERE size(vulns) > 0
RETURN path, src AS entry, db AS target,
  {exposure: 'lateral', ports: hop.ports, sensitivity: sensitivity, critical: (db.criticality IN ['critical', 'high']),
  weaknesses: CASE WHEN db.password_auth = true THEN ['password-auth'] ELSE [] END,
  max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
