// id: CM-VM-007
// title: Internet-exposed VM allows IMDSv1 and has a role
// short_title: Exposed VM with IMDSv1 and role
// description: 'An internet-exposed EC2 instance still answers IMDSv1 and has an instance profile role:
//   a server-side request forgery in any exposed service hands out the role''s credentials.'
// severity: high
// risk_factors: [internet-exposure, credential-exposure]
// attack: [T1552.005]
// remediation: Require IMDSv2 (HttpTokens=required) on the instance and in the launch template.
// references: ['https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html']
MATCH path = (:Internet)-[reach:CAN_REACH]->(vm:VirtualMachine)-[:CAN_AUTHENTICATE_AS]->(id:Identity)
WHERE vm.imds_v1_enabled = true
RETURN path, vm AS entry, id AS target,
  {exposure: 'internet', ports: reach.ports, weaknesses: ['imds-v1'], privilege: CASE WHEN EXISTS { (id)-[:CAN_ACCESS {level: 'admin'}]->() } THEN 'admin' WHEN EXISTS { (id)-[:CAN_ACCESS {level: 'write'}]->() } THEN 'write' WHEN EXISTS { (id)-[:CAN_ACCESS]->() } THEN 'read' ELSE 'none' END} AS evidence
