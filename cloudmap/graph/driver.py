"""The one place that opens Neo4j connections and turns driver failures into clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import AuthError, ClientError, ServiceUnavailable

from cloudmap.config import Settings, config_path


class GraphError(Exception):
    """Neo4j is unreachable, refused us, or rejected a query; the message names the setting to fix."""


class Graph:
    """A driver bound to one database, with read/write helpers that return plain dicts.

    ``read`` and ``write`` are the driver's managed transactions (``execute_query``): reads are
    routed READ (a cluster's followers and secondaries; a write inside one is refused), writes WRITE
    (the leader), and both are retried on leader changes and lost connections for up to
    ``max_transaction_retry_time``. ``run_autocommit`` is not retried (CALL IN TRANSACTIONS)."""

    def __init__(self, driver: neo4j.Driver, database: str = "neo4j"):
        self.driver = driver
        self.database = database

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self, query: str, **params: Any) -> list[dict]:
        return [r.data() for r in self._records(query, params, RoutingControl.READ)]

    def read_values(self, query: str, **params: Any) -> list[dict]:
        """``read`` for queries that return plain values only (no nodes, relationships or paths):
        skips the driver's per-value export, which dominates hot list endpoints."""
        return [dict(r) for r in self._records(query, params, RoutingControl.READ)]

    def write(self, query: str, **params: Any) -> list[dict]:
        return [r.data() for r in self._records(query, params, RoutingControl.WRITE)]

    def _records(self, query: str, params: dict, routing: RoutingControl) -> list:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database, routing_=routing)
        return records

    def run_autocommit(self, query: str, **params: Any) -> neo4j.ResultSummary:
        """For CALL { } IN TRANSACTIONS, which needs an implicit transaction."""
        with self.driver.session(database=self.database) as session:
            return session.run(query, params).consume()

    @contextmanager
    def session(self, **kw) -> Iterator[neo4j.Session]:
        with self.driver.session(database=self.database, **kw) as s:
            yield s


def connect(settings: Settings) -> Graph:
    """A verified connection to the configured server, or one GraphError saying what to fix."""
    if settings.neo4j_password is None:
        raise GraphError(f"no Neo4j password: set NEO4J_PASSWORD, or run `cloudmap db start` which saves one "
                         f"in {config_path()}")
    uri = settings.bolt_uri
    try:
        driver = GraphDatabase.driver(uri, auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
                                      connection_timeout=10, max_transaction_retry_time=30)
    except ValueError as exc:
        raise GraphError(f"NEO4J_URI {uri!r} is not a valid Neo4j URI: {exc}") from None
    try:
        driver.verify_connectivity()
    except AuthError:
        driver.close()
        raise GraphError(f"Neo4j at {uri} refused user {settings.neo4j_user!r} with the given password: "
                         f"check NEO4J_USER / NEO4J_PASSWORD") from None
    except (ServiceUnavailable, OSError) as exc:
        driver.close()
        hint = "check NEO4J_URI" if settings.external else "start it with `cloudmap db start`"
        raise GraphError(f"Neo4j is not reachable at {uri}: {hint} ({_short(exc)})") from None
    graph = Graph(driver, settings.neo4j_database)
    try:
        graph.read("RETURN 1 AS ok")
    except ClientError as exc:
        driver.close()
        raise GraphError(f"database {settings.neo4j_database!r} (NEO4J_DATABASE) is not usable: {exc.message}") from None
    return graph


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
