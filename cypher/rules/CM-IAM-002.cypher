// id: CM-IAM-002
// title: Internet-exposed workload can escalate to admin
// short_title: Exposed workload can become admin
// description: The identity of an internet-exposed workload can escalate to an identity with full control
//   of the account or subscription.
// severity: critical
// risk_factors: [internet-exposure, privilege-escalation, privileged-identity]
// params: {min_cvss: 7.0}
// attack: [T1190, T1098]
// remediation: Remove the escalation permission from the workload's identity; restrict the workload's exposure.
MATCH path = (:Internet)-[reach:CAN_REACH]->(w)-[:CAN_AUTHENTICATE_AS]->(:Identity)-[esc:CAN_ESCALATE_TO]->(:Identity)
      -[:CAN_ASSUME*0..2]->(:Identity)-[acc:CAN_ACCESS {level: 'admin'}]->(t:Account)
WITH path, reach, w, esc, t, [(w)-[:RUNS_IMAGE*0..1]->()-[:HAS_VULNERABILITY]->(v:Vulnerability)
       WHERE coalesce(v.cvss, 0.0) >= $min_cvss | v] AS vulns
RETURN path, w AS entry, t AS target,
  {exposure: 'internet', ports: reach.ports, privilege: 'admin', method: esc.method, method_id: esc.method_id, max_cvss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.cvss, 0.0) > m THEN coalesce(v.cvss, 0.0) ELSE m END),
  epss: reduce(m = 0.0, v IN vulns | CASE WHEN coalesce(v.epss, 0.0) > m THEN v.epss ELSE m END),
  kev: any(v IN vulns WHERE coalesce(v.kev, false)), rce: any(v IN vulns WHERE coalesce(v.rce, false)),
  vulnerabilities: [v IN vulns | v.id][..20]} AS evidence
