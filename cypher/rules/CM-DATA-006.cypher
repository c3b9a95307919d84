// id: CM-DATA-006
// title: Storage account with sensitive data allows shared keys from public networks
// short_title: Public shared-key storage account
// description: 'An Azure storage account that accepts shared-key (account key / SAS) authentication and
//   traffic from all networks holds sensitive data: one leaked key or SAS token reads it from anywhere.'
// severity: high
// risk_factors: [basic-auth, sensitive-data]
// attack: [T1530, T1552]
// remediation: Disable shared key access (allowSharedKeyAccess=false), use Entra ID, and restrict network
//   access.
// references: ['https://learn.microsoft.com/en-us/azure/storage/common/shared-key-authorization-prevent']
MATCH path = (sa:StorageAccount)
WHERE coalesce(sa.allow_shared_key_access, true) = true
  AND toLower(toString(coalesce(sa.public_network_access, 'enabled'))) IN ['enabled', 'true']
  AND toLower(coalesce(sa.network_default_action, 'allow')) = 'allow'
WITH path, sa, [(sa)-[:CONTAINS*0..2]->()-[:STORES]->(s:SensitiveInfoType) | coalesce(s.category, 'other')] AS sensitivity
WHERE size(sensitivity) > 0
RETURN path, sa AS entry, sa AS target,
  {exposure: 'internet', weaknesses: ['shared-key'], sensitivity: sensitivity, critical: (sa.criticality IN ['critical', 'high'])} AS evidence
