// id: exposed-imdsv1-instances
// title: Internet-reachable instances still allowing IMDSv1, with their role
// description: SSRF on such an instance yields the instance profile's credentials; shows what that role can reach.
// tags: [exposure, identity, aws]
MATCH (:Internet)-[r:CAN_REACH]->(vm:VirtualMachine) WHERE vm.imds_v1_enabled = true
OPTIONAL MATCH (vm)-[:CAN_AUTHENTICATE_AS]->(role:Identity)
OPTIONAL MATCH (role)-[acc:CAN_ACCESS]->(t)
RETURN vm.id AS instance, vm.name AS name, r.ports AS ports, role.name AS role,
       count(DISTINCT t) AS resources_reachable
ORDER BY resources_reachable DESC
