// id: open-management-ports
// title: Firewall rules allowing SSH, RDP or database ports from anywhere
// description: Inbound allow rules with a world-wide source on management and database ports, and the
//   groups they belong to. Raw facts only, the rule may still be unused (see internet-exposed-vms).
// tags: [network, hygiene]
// params:
//   ports: {type: list, default: ["22", "3389", "1433", "3306", "5432", "6379", "27017"]}
MATCH (g:SecurityGroup)-[:HAS_RULE]->(r:FirewallRule)
WHERE r.direction = 'inbound' AND r.action = 'allow'
  AND any(s IN r.sources WHERE s IN ['0.0.0.0/0', '::/0', '*', 'Internet', 'Any'])
  AND ('*' IN r.ports OR any(p IN r.ports WHERE p IN $ports))
RETURN g.id AS group, g.name AS group_name, r.id AS rule, r.protocol AS protocol, r.ports AS ports,
       r.sources AS sources
ORDER BY group_name
