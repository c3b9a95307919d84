// id: CM-NET-001
// title: Internet-exposed VM with a management port open
// short_title: Exposed management port
// description: 'SSH or RDP (mgmt_ports) of a virtual machine is reachable from the internet: a target for
//   password spraying and exploits of the remote access service.'
// severity: medium
// risk_factors: [internet-exposure]
// params:
//   mgmt_ports: [22, 3389]
// attack: [T1133, T1110]
// remediation: Close the port to 0.0.0.0/0; use a bastion, Session Manager or just-in-time access.
MATCH path = (:Internet)-[reach:CAN_REACH]->(vm:VirtualMachine)
WITH path, reach, vm, [p IN coalesce(reach.ports, []) WHERE p = '*' OR any(m IN $mgmt_ports WHERE
       (p CONTAINS '-' AND toInteger(split(p, '-')[0]) <= m <= toInteger(split(p, '-')[1])) OR toInteger(p) = m)] AS open
WHERE size(open) > 0
RETURN path, vm AS entry, vm AS target,
  {exposure: 'internet', ports: open, weaknesses: ['management-port']} AS evidence
