// Internet-exposed VMs with an exploitable CVE whose identity reads card data
MATCH reach = (:Internet)-[:CAN_REACH]->(vm:VirtualMachine)-[:HAS_VULNERABILITY]->(v:Vulnerability)
WHERE v.kev OR v.rce OR v.severity = 'critical'
MATCH data = (vm)-[:CAN_AUTHENTICATE_AS]->(:Identity)-[:CAN_ASSUME*0..2]->(:Identity)
             -[:CAN_ACCESS]->(:DataStore)-[:STORES]->(:SensitiveInfoType {category: 'pci'})
RETURN reach, data
LIMIT 25
