"""What the security tests share: a small estate and a fingerprint that shows whether the graph changed."""

from __future__ import annotations

import hashlib
import json

SEED = ("CREATE (i:Internet {id: 'internet'})-[:CAN_REACH {derived: true, ports: ['22']}]->"
        "(vm:Asset:VirtualMachine {id: 'vm-1', name: 'web', account_id: '111111111111'})"
        "-[:CAN_AUTHENTICATE_AS {derived: true}]->(r:Asset:Identity:Role {id: 'role-1', name: 'app'}), "
        "(r)-[:CAN_ACCESS {derived: true, level: 'read'}]->(:Asset:Bucket {id: 'bucket-1', name: 'cards', "
        "sensitivity: ['pci']}), "
        "(i)-[:CAN_REACH {derived: true, ports: ['443']}]->(:Asset:VirtualMachine {id: 'vm-2', name: 'api'})")


def fingerprint(graph) -> dict:
    """Counts, labels, indexes and a checksum of every node's and relationship's properties."""
    nodes = graph.read("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    rels = graph.read("MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, properties(r) AS p, b.id AS b")
    blob = json.dumps(sorted(json.dumps(x, sort_keys=True, default=str) for x in nodes + rels))
    labels = graph.read("CALL db.labels() YIELD label RETURN collect(label) AS l")[0]["l"]
    indexes = graph.read("SHOW INDEXES YIELD name RETURN collect(name) AS n")[0]["n"]
    return {"nodes": len(nodes), "relationships": len(rels), "labels": sorted(labels), "indexes": sorted(indexes),
            "checksum": hashlib.sha256(blob.encode()).hexdigest()}


def active_transactions(graph, queries: list[str]) -> int:
    """Transactions running (or planning) one of ``queries`` on the server. Other clients' work, such as
    the /health reads a poller sends every second, is not counted."""
    rows = graph.read("SHOW TRANSACTIONS YIELD currentQuery WHERE any(q IN $queries WHERE currentQuery ENDS WITH q) "
                      "RETURN count(*) AS n", queries=queries)
    return rows[0]["n"]
