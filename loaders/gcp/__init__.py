"""Google Cloud: Cloud Asset Inventory exports (`gcloud asset export` / `list`) into the graph."""
