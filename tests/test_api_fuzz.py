"""Every operation of the OpenAPI document, fuzzed with schemathesis (valid and invalid inputs):
no request may end in a 5xx. The app runs in-process (ASGI) with an admin key on the real test Neo4j,
seeded with a small estate and its findings so the read paths have something to page through."""

from __future__ import annotations

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, settings
from schemathesis import DataGenerationMethod
from schemathesis.checks import not_a_server_error

from cloudmap.api.app import create_app
from cloudmap.findings import store
from cloudmap.findings.analysis import evaluate
from cloudmap.graph.ingest import now
from cloudmap.rules import load_rules
from cloudmap.services.apikeys import create_key
from cloudmap.services.authstore import open_store
from tests.conftest import FIXTURES
from tests.helpers import api_client

# FastAPI emits OpenAPI 3.1, which schemathesis 3.x supports behind this switch.
schemathesis.experimental.OPEN_API_3_1.enable()
SEED = yaml.safe_load((FIXTURES / "rules" / "CM-CRED-001.yaml").read_text())["fire"]


@pytest.fixture
def admin_headers(graph, neo4j_settings) -> dict:
    return {"Authorization": f"Bearer {create_key(open_store(neo4j_settings), 'fuzz', 'admin')[1]}"}


@pytest.fixture
def api_schema(graph, neo4j_settings, admin_headers):
    graph.write(SEED)
    rules, _ = load_rules()
    rows, _, _ = evaluate(graph, [r for r in rules if r.id == "CM-CRED-001"])
    store.write_findings(graph, rows, "analysis-fuzz", now())
    app = create_app(neo4j_settings, graph=graph)
    return schemathesis.from_asgi("/api/v1/openapi.json", app,
                                  data_generation_methods=[DataGenerationMethod.positive,
                                                           DataGenerationMethod.negative])


# POST /analyses is left out: each call starts a full background analysis (all rules, the derive step),
# which would make this run minutes long; tests/test_api_service.py covers it, including its 409.
schema = schemathesis.from_pytest_fixture("api_schema").exclude(method="POST", path="/api/v1/analyses")


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case, admin_headers):
    response = case.call_asgi(headers=admin_headers)
    case.validate_response(response, checks=(not_a_server_error,))


# Regressions the fuzzing found.

def test_parameters_beyond_64_bit_integers_are_a_clear_400(graph, neo4j_settings):
    client, keys = api_client(graph, neo4j_settings)
    r = client.post("/api/v1/hunt", json={"query": "RETURN $x AS x", "params": {"x": [{"y": 2**64}]}},
                    headers=keys["hunter"])
    assert r.status_code == 400 and "params.x[0].y" in r.json()["detail"]
    assert client.post("/api/v1/hunt", json={"query": "RETURN $x AS x", "params": {"x": -2**63}},
                       headers=keys["hunter"]).json()["rows"] == [{"x": -2**63}]


def test_routing_and_body_parsing_errors_are_problem_details(graph, neo4j_settings):
    client, keys = api_client(graph, neo4j_settings)
    answers = [client.get("/api/v1/no-such-thing", headers=keys["reader"]),
               client.patch("/api/v1/hunt", headers=keys["hunter"]),
               client.post("/api/v1/hunt", content=b'{"query": "RETURN 1", "params": {"x": ' + b"9" * 5000 + b"}}",
                           headers={**keys["hunter"], "Content-Type": "application/json"})]
    assert [(r.status_code, r.headers["content-type"]) for r in answers] == [
        (404, "application/problem+json"), (405, "application/problem+json"), (400, "application/problem+json")]
    assert answers[1].json()["title"] == "Method not allowed"
