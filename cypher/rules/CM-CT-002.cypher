// id: CM-CT-002
// title: Internet-exposed container runs privileged or on the host network
// short_title: Exposed privileged container
// description: 'A pod or container reachable from the internet runs privileged, or shares the host''s network
//   or PID namespace (properties privileged, host_network, host_pid): escaping to the node is one step.'
// severity: high
// risk_factors: [internet-exposure]
// attack: [T1611]
// remediation: Drop privileged / hostNetwork / hostPID (Pod Security Standards 'restricted'), or stop exposing
//   the workload.
// references: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
MATCH path = (:Internet)-[reach:CAN_REACH]->(w:Pod|ContainerService)
WITH path, reach, w, [x IN [CASE WHEN w.privileged = true THEN 'privileged-container' END,
                            CASE WHEN w.host_network = true THEN 'host-network' END,
                            CASE WHEN w.host_pid = true THEN 'host-pid' END] WHERE x IS NOT NULL] AS weaknesses
WHERE size(weaknesses) > 0
RETURN path, w AS entry, w AS target, {exposure: 'internet', ports: reach.ports, weaknesses: weaknesses} AS evidence
