"""Managing a local Neo4j server (JVM from Maven Central jars, or Docker)."""
