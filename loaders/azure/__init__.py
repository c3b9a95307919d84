"""Azure: Resource Graph rows (live through the SDK, or `az graph query` / portal exports) mapped onto
the agnostic graph model. Pipeline: fetch or read rows -> ``transform.build_plan`` (pure, validates
everything) -> ``load.write_plan`` (one sync, scoped per subscription and table)."""
