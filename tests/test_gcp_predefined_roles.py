"""The predefined roles' data file: the generator (scripts/gcp_predefined_roles.py) on a list of roles in
the shape `gcloud iam roles list --view=FULL --format=json` prints, and the shipped file it wrote."""

from __future__ import annotations

import importlib.util
import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from cloudmap.loaders.gcp import predefined_roles

from cloudmap.engine.gcp_iam import ESCALATIONS, PROBED_PERMISSIONS, PROBES

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gcp_predefined_roles.py"
ROLES_JSON = Path(__file__).parent / "fixtures" / "gcp" / "iam-roles.json"
_spec = importlib.util.spec_from_file_location("gcp_predefined_roles", SCRIPT)
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def test_probed_permissions_come_from_the_engines_tables():
    assert set(PROBES["GCPBucket"]) <= PROBED_PERMISSIONS
    assert {p for needs in ESCALATIONS.values() for p in needs} <= PROBED_PERMISSIONS
    assert "storage.buckets.get" not in PROBED_PERMISSIONS   # nothing the engine asks


def test_generator_keeps_the_probed_permissions_of_live_roles(tmp_path):
    out = tmp_path / "roles.py"
    assert gen.main([str(ROLES_JSON), "--output", str(out), "--source", "test list", "--retrieved", "2026-12-01"]) == 0
    data = runpy.run_path(str(out))
    assert data["SOURCE"] == "test list" and data["RETRIEVED"] == "2026-12-01"
    assert data["ROLES"] == {
        "roles/example.bucketReader": ("storage.objects.get", "storage.objects.list"),
        "roles/example.invoker": ("run.routes.invoke",),
        "roles/example.tokenMinter": ("iam.serviceAccounts.getAccessToken",),
    }   # the lister holds nothing probed, the retired role is deleted, the empty one grants nothing
    assert "6 roles read, 3 kept" in out.read_text()
    # the output is stable: rendering what it holds gives the same file
    assert gen.render(data["ROLES"], "test list", "2026-12-01", 6) == out.read_text()


@pytest.mark.parametrize("content, message", [
    ('{"roles": []}', "expected a JSON array of roles"),
    ('[{"name": "projects/p/roles/custom", "includedPermissions": []}]', r"item 0: field 'name' must be a predefined"),
    ('[{"name": "roles/x", "includedPermissions": "storage.objects.get"}]',
     r"item 0 \(roles/x\): field 'includedPermissions' must be an array"),
    ('[{"name": "roles/x", "includedPermissions": ["read everything"]}]', r"'read everything' is not a permission"),
    ("[{", r"line 1: not valid JSON"),
])
def test_generator_refuses_bad_input_with_one_error(tmp_path, content, message):
    bad, out = tmp_path / "roles.json", tmp_path / "roles.py"
    bad.write_text(content)
    proc = subprocess.run([sys.executable, str(SCRIPT), str(bad), "--output", str(out)], capture_output=True,
                          text=True, cwd=ROOT)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"error: {bad}"), proc.stderr
    assert re.search(message, lines[0]) and not out.exists()


def test_shipped_roles_are_well_formed_and_in_the_generators_format():
    roles, source, retrieved = predefined_roles.ROLES, predefined_roles.SOURCE, predefined_roles.RETRIEVED
    assert source and re.fullmatch(r"\d{4}-\d{2}-\d{2}", retrieved) and len(roles) >= 15
    for role, perms in roles.items():
        assert role.startswith("roles/") and perms, role
        assert all(p == "*" or re.fullmatch(r"[a-z][a-zA-Z0-9-]*(\.[a-zA-Z0-9-]+){2,}", p) for p in perms), role
        assert all(p == "*" or p in PROBED_PERMISSIONS for p in perms), role   # only what the engine probes
        assert list(perms) == sorted(set(perms)), role
    shipped = Path(predefined_roles.__file__).read_text()
    body = gen.render(roles, source, retrieved).split('"""\n', 2)[-1]   # the file less its docstring
    assert shipped.endswith(body) and "scripts/gcp_predefined_roles.py" in shipped
    assert json.dumps(sorted(roles)) == json.dumps(list(roles))
