// id: CM-ENTRA-001
// title: Service principal with a valid secret holds high privileges
// short_title: Privileged SP with valid secret
// description: An application's service principal has a password or certificate that has not expired,
//   and holds Owner, Contributor or User Access Administrator on a subscription or management group, an
//   Entra directory role that reaches Global Administrator, or a Microsoft Graph permission that does.
//   Whoever holds that secret (a CI system, a leaked config file) signs in as the application from
//   anywhere.
// severity: high
// risk_factors: [privileged-identity, credential-exposure]
// attack: [T1078.004, T1528]
// remediation: Replace the secret with a managed identity or workload identity federation, or narrow the
//   role to the resource group or resources the application needs; rotate the secret and shorten its
//   lifetime.
// references: ['https://learn.microsoft.com/entra/identity-platform/security-best-practices-for-app-registration', 'https://attack.mitre.org/techniques/T1528/']
MATCH (sp:ServicePrincipal) WHERE sp.valid_credentials > 0 AND coalesce(sp.enabled, true)
CALL (sp) {
  MATCH path = (sp)<-[:ASSIGNED_TO]-(ra:RoleAssignment)-[:AT_SCOPE]->(t:Account)
  WHERE ra.role_name IN ['Owner', 'Contributor', 'User Access Administrator']
  RETURN path, t, ra.role_name AS privilege_name
  UNION
  MATCH path = (sp)-[:HAS_DIRECTORY_ROLE {directory_scope: '/'}]->(r:DirectoryRole {privileged: true}),
        (t:EntraTenant {tenant_id: sp.tenant_id})
  RETURN path, t, r.role_name AS privilege_name
  UNION
  MATCH path = (sp)-[a:HAS_APP_ROLE]->(:ServicePrincipal), (t:EntraTenant {tenant_id: sp.tenant_id})
  WHERE a.permission IN ['RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All',
                         'Application.ReadWrite.All']
  RETURN path, t, a.permission AS privilege_name
}
RETURN path, sp AS entry, t AS target,
  {exposure: 'identity', privilege: 'admin', weaknesses: ['long-lived-secret'], role: privilege_name,
   credentials_expire: sp.credentials_expire} AS evidence
