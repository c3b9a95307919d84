// Generated from the declarations in cloudmap/graph/kinds by `python -m cloudmap.graph.docs`.
// One (r.scope) index per relationship type, used by scoped cleanup.
CREATE INDEX rel_scope_allows_from IF NOT EXISTS FOR ()-[r:`ALLOWS_FROM`]-() ON (r.scope);
CREATE INDEX rel_scope_allows_to IF NOT EXISTS FOR ()-[r:`ALLOWS_TO`]-() ON (r.scope);
CREATE INDEX rel_scope_applies_to IF NOT EXISTS FOR ()-[r:`APPLIES_TO`]-() ON (r.scope);
CREATE INDEX rel_scope_assigned_to IF NOT EXISTS FOR ()-[r:`ASSIGNED_TO`]-() ON (r.scope);
CREATE INDEX rel_scope_associated_with IF NOT EXISTS FOR ()-[r:`ASSOCIATED_WITH`]-() ON (r.scope);
CREATE INDEX rel_scope_attached_to IF NOT EXISTS FOR ()-[r:`ATTACHED_TO`]-() ON (r.scope);
CREATE INDEX rel_scope_at_scope IF NOT EXISTS FOR ()-[r:`AT_SCOPE`]-() ON (r.scope);
CREATE INDEX rel_scope_contains IF NOT EXISTS FOR ()-[r:`CONTAINS`]-() ON (r.scope);
CREATE INDEX rel_scope_encrypted_with IF NOT EXISTS FOR ()-[r:`ENCRYPTED_WITH`]-() ON (r.scope);
CREATE INDEX rel_scope_grants IF NOT EXISTS FOR ()-[r:`GRANTS`]-() ON (r.scope);
CREATE INDEX rel_scope_has_key IF NOT EXISTS FOR ()-[r:`HAS_KEY`]-() ON (r.scope);
CREATE INDEX rel_scope_has_permission_boundary IF NOT EXISTS FOR ()-[r:`HAS_PERMISSION_BOUNDARY`]-() ON (r.scope);
CREATE INDEX rel_scope_has_policy IF NOT EXISTS FOR ()-[r:`HAS_POLICY`]-() ON (r.scope);
CREATE INDEX rel_scope_has_role IF NOT EXISTS FOR ()-[r:`HAS_ROLE`]-() ON (r.scope);
CREATE INDEX rel_scope_has_rule IF NOT EXISTS FOR ()-[r:`HAS_RULE`]-() ON (r.scope);
CREATE INDEX rel_scope_has_vulnerability IF NOT EXISTS FOR ()-[r:`HAS_VULNERABILITY`]-() ON (r.scope);
CREATE INDEX rel_scope_in_subnet IF NOT EXISTS FOR ()-[r:`IN_SUBNET`]-() ON (r.scope);
CREATE INDEX rel_scope_member_of IF NOT EXISTS FOR ()-[r:`MEMBER_OF`]-() ON (r.scope);
CREATE INDEX rel_scope_peered_with IF NOT EXISTS FOR ()-[r:`PEERED_WITH`]-() ON (r.scope);
CREATE INDEX rel_scope_replicates_to IF NOT EXISTS FOR ()-[r:`REPLICATES_TO`]-() ON (r.scope);
CREATE INDEX rel_scope_routes_to IF NOT EXISTS FOR ()-[r:`ROUTES_TO`]-() ON (r.scope);
CREATE INDEX rel_scope_runs_image IF NOT EXISTS FOR ()-[r:`RUNS_IMAGE`]-() ON (r.scope);
CREATE INDEX rel_scope_same_as IF NOT EXISTS FOR ()-[r:`SAME_AS`]-() ON (r.scope);
CREATE INDEX rel_scope_snapshot_of IF NOT EXISTS FOR ()-[r:`SNAPSHOT_OF`]-() ON (r.scope);
CREATE INDEX rel_scope_stores IF NOT EXISTS FOR ()-[r:`STORES`]-() ON (r.scope);
CREATE INDEX rel_scope_uses_identity IF NOT EXISTS FOR ()-[r:`USES_IDENTITY`]-() ON (r.scope);
