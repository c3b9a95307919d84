// Generated from the declarations in cloudmap/graph/kinds by `python -m cloudmap.graph.docs`.
// One (r.scope) index per relationship type, used by scoped cleanup.
CREATE INDEX rel_scope_has_vulnerability IF NOT EXISTS FOR ()-[r:`HAS_VULNERABILITY`]-() ON (r.scope);
CREATE INDEX rel_scope_runs_image IF NOT EXISTS FOR ()-[r:`RUNS_IMAGE`]-() ON (r.scope);
CREATE INDEX rel_scope_stores IF NOT EXISTS FOR ()-[r:`STORES`]-() ON (r.scope);
