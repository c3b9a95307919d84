// id: kev-vulnerabilities
// title: Assets with known exploited vulnerabilities (CISA KEV)
// description: Hosts, functions and workloads carrying a vulnerability in the KEV catalog, directly or
//   through the container image they run; internet-reachable ones first.
// tags: [vulnerability, exposure]
// params:
//   min_cvss: {type: float, default: 0.0}
MATCH (v:Vulnerability {kev: true}) WHERE coalesce(v.cvss, 0.0) >= $min_cvss
MATCH (a:Asset)-[:RUNS_IMAGE*0..1]->(carrier:Asset)-[hv:HAS_VULNERABILITY]->(v)
OPTIONAL MATCH (:Internet)-[reach:CAN_REACH]->(a)
RETURN a.id AS asset, a.name AS name, labels(a) AS labels, v.id AS vulnerability, v.cvss AS cvss,
       v.epss AS epss, hv.package AS package, hv.fixed_version AS fixed_version, reach IS NOT NULL AS internet_reachable
ORDER BY internet_reachable DESC, cvss DESC
