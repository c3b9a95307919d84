// id: exposed-critical-vulnerabilities
// title: Internet-reachable workloads with critical or remotely exploitable vulnerabilities
// description: The exposure and the vulnerability together, what an attacker can reach and likely exploit.
// tags: [vulnerability, exposure, attack-path]
// params:
//   min_epss: {type: float, default: 0.0, description: minimum EPSS probability}
MATCH (:Internet)-[reach:CAN_REACH]->(w:Asset)-[:RUNS_IMAGE*0..1]->(carrier:Asset)-[hv:HAS_VULNERABILITY]->(v:Vulnerability)
WHERE (v.severity = 'critical' OR v.rce = true OR v.kev = true) AND coalesce(v.epss, 0.0) >= $min_epss
RETURN w.id AS asset, w.name AS name, reach.ports AS ports, collect(DISTINCT v.id) AS vulnerabilities,
       max(v.cvss) AS max_cvss, any(x IN collect(v.kev) WHERE x) AS kev
ORDER BY kev DESC, max_cvss DESC
