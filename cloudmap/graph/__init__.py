"""The graph layer: connection, declarative model, schema and the shared write path."""
