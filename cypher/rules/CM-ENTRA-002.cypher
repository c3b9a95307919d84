// id: CM-ENTRA-002
// title: Principal can make itself Global Administrator
// short_title: Can become Global Administrator
// description: A user, group member or service principal that is not Global Administrator can become one
//   through the directory (Privileged Role Administrator, Graph RoleManagement.ReadWrite.Directory or
//   AppRoleAssignment.ReadWrite.All), or take over a Global Administrator (Privileged Authentication
//   Administrator resetting its credentials). A Global Administrator can then elevate itself to User
//   Access Administrator over every subscription of the tenant.
// severity: high
// risk_factors: [privilege-escalation, privileged-identity]
// attack: [T1098.003, T1078.004]
// remediation: Assign these roles only through Privileged Identity Management (eligible, time-bound, with
//   approval), or remove the role or Graph permission named in the evidence.
// references: ['https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference', 'https://posts.specterops.io/azure-privilege-escalation-via-azure-api-permissions-abuse-74aee1006f48']
MATCH path = (p:Identity)-[e:CAN_ESCALATE_TO]->(q)
WHERE e.method IN ['entra:privileged-role-admin', 'entra:graph-role-management', 'entra:graph-app-role-assignment',
                   'entra:privileged-auth-admin']
MATCH (t:EntraTenant {tenant_id: p.tenant_id})
WHERE NOT EXISTS { (p)-[:CAN_ACCESS {level: 'admin'}]->(t) }
  AND (q = t OR EXISTS { (q)-[:CAN_ACCESS {level: 'admin'}]->(t) })
RETURN path, p AS entry, t AS target,
  {exposure: CASE WHEN p:User OR p:ServicePrincipal THEN 'identity' ELSE 'internal' END,
   privilege: 'admin', method: e.method} AS evidence
