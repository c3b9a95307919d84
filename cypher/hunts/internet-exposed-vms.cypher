// id: internet-exposed-vms
// title: Virtual machines reachable from the internet
// description: Running or not, every VM the engine found reachable from the internet, with the ports,
//   the path kind (direct, load balancer, gateway) and the firewall rules that allow it.
// tags: [exposure, network, compute]
// params:
//   port: {type: string, default: "*", description: 'a port such as "22", or "*" for any'}
//   limit: {type: integer, default: 200}
MATCH (:Internet)-[r:CAN_REACH]->(vm:VirtualMachine)
WHERE $port = '*' OR $port IN r.ports OR '*' IN r.ports
RETURN vm.id AS id, vm.name AS name, vm.provider AS provider, vm.account_id AS account, vm.state AS state,
       r.ports AS ports, r.via AS via, r.rules AS rules
ORDER BY account, name
LIMIT $limit
