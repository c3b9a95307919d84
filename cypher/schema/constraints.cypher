// schema_version: 1
// Uniqueness on every keyed label, and the indexes that rules, cleanup and the API filter on.
// Applied once per run, idempotently (IF NOT EXISTS). Relationship scope indexes, one per declared
// relationship type, are in relationship-indexes.cypher (generated from the model).
CREATE CONSTRAINT asset_id IF NOT EXISTS FOR (n:Asset) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT vulnerability_id IF NOT EXISTS FOR (n:Vulnerability) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT sensitive_info_type_id IF NOT EXISTS FOR (n:SensitiveInfoType) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT internet_id IF NOT EXISTS FOR (n:Internet) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT finding_id IF NOT EXISTS FOR (n:Finding) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT sync_id IF NOT EXISTS FOR (n:Sync) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT package_id IF NOT EXISTS FOR (n:Package) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT analysis_id IF NOT EXISTS FOR (n:Analysis) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT scope_state_id IF NOT EXISTS FOR (n:ScopeState) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT analysis_job_id IF NOT EXISTS FOR (n:AnalysisJob) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT lease_id IF NOT EXISTS FOR (n:Lease) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT schema_version_id IF NOT EXISTS FOR (n:SchemaVersion) REQUIRE n.id IS UNIQUE;
CREATE INDEX asset_scope IF NOT EXISTS FOR (n:Asset) ON (n.scope);
CREATE INDEX asset_name IF NOT EXISTS FOR (n:Asset) ON (n.name);
CREATE INDEX asset_account IF NOT EXISTS FOR (n:Asset) ON (n.account_id);
CREATE INDEX asset_provider IF NOT EXISTS FOR (n:Asset) ON (n.provider);
CREATE INDEX finding_level IF NOT EXISTS FOR (n:Finding) ON (n.level);
CREATE INDEX finding_rule IF NOT EXISTS FOR (n:Finding) ON (n.rule_id);
// single-key indexes that hand findings pages over already sorted (a (status, score) index cannot:
// the planner seeks it and then sorts every open finding)
DROP INDEX finding_status_score IF EXISTS;
CREATE INDEX finding_score IF NOT EXISTS FOR (n:Finding) ON (n.score);
CREATE INDEX finding_first_seen IF NOT EXISTS FOR (n:Finding) ON (n.first_seen);
CREATE INDEX finding_last_seen IF NOT EXISTS FOR (n:Finding) ON (n.last_seen);
CREATE INDEX analysis_started IF NOT EXISTS FOR (n:Analysis) ON (n.started_at);
CREATE INDEX sync_started IF NOT EXISTS FOR (n:Sync) ON (n.started_at);
CREATE INDEX sync_source IF NOT EXISTS FOR (n:Sync) ON (n.source);
CREATE FULLTEXT INDEX asset_search IF NOT EXISTS FOR (n:Asset) ON EACH [n.id, n.name];
