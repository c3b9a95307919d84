"""`cloudmap demo` as a function: build the estate, load it through the real loaders, analyse.

Every source goes through its own `cloudmap load ...` verb, run in this process with its JSON output
captured, so the demo exercises exactly what a user runs; progress goes to stderr.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cloudmap.demo import aws_estate
from cloudmap.graph.driver import Graph

AZURE_SUBSCRIPTION = "5f1e6a7b-1111-4222-8333-444455556666"
DEMO_ACCOUNTS = (aws_estate.PROD, aws_estate.SHARED, AZURE_SUBSCRIPTION)
# Each Trivy report scanned one instance's volume; the demo attaches it to that instance.
TRIVY_REPORTS = ("payments-web", "marketing-blog", "batch-worker", "bastion")

Echo = Callable[[str], None]


class DemoError(Exception):
    """The demo cannot run (foreign data in the graph, a loader failed); the message says why."""


@dataclass
class DemoResult:
    timings: dict[str, float] = field(default_factory=dict)
    built: dict[str, int] = field(default_factory=dict)
    loads: dict[str, dict] = field(default_factory=dict)
    analysis: dict = field(default_factory=dict)


def data_dir() -> Path:
    return Path(str(resources.files("cloudmap.demo").joinpath("data")))


def foreign_assets(graph: Graph) -> int:
    """Assets of accounts that are not the demo's (user data the demo must not mix with)."""
    return graph.read("MATCH (n:Asset) WHERE n.account_id IS NOT NULL AND NOT n.account_id IN $ids "
                      "RETURN count(n) AS n", ids=list(DEMO_ACCOUNTS))[0]["n"]


def run_verb(*args: str) -> dict | list | None:
    """Run one `cloudmap` verb in-process with --format json; its JSON result, or DemoError."""
    import typer

    from cloudmap.cli.main import app

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = typer.main.get_command(app).main(args=[*args, "--format", "json"], prog_name="cloudmap",
                                                standalone_mode=False)
    if code not in (None, 0):
        raise DemoError(f"`cloudmap {' '.join(args)}` failed (exit {code}); see the error above")
    # moto's in-process server prints notes (an AWS host it has no backend for) into the same stdout
    text = out.getvalue().strip()
    start = min((i for i in (text.find("\n{"), text.find("\n[")) if i >= 0), default=-1)
    if text[:1] not in ("{", "[") and start >= 0:
        text = text[start + 1:]
    return json.loads(text) if text else None


def _verb_exists(*path: str) -> bool:
    import typer

    from cloudmap.cli.main import app

    group = typer.main.get_command(app)
    for name in path:
        group = getattr(group, "commands", {}).get(name)
        if group is None:
            return False
    return True


def describe(result) -> str:
    """One line from a loader's JSON summary: what it wrote, or the counts it reports."""
    results = [r for r in (result if isinstance(result, list) else [result]) if isinstance(r, dict)]
    if any("written" in r for r in results):
        return f"{sum(sum(r.get('written', {}).values()) for r in results)} nodes and relationships written"
    counts = {k: v for r in results for k, v in r.items() if isinstance(v, int) and not isinstance(v, bool)}
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()) or "done"


def load_estate(result: DemoResult, echo: Echo, small: bool = False) -> None:
    """Build the AWS accounts in moto and load every demo source into the graph."""
    from cloudmap.demo.moto_server import moto_server

    data = data_dir()
    with moto_server() as endpoint:
        echo(f"Building the AWS estate in moto at {endpoint} (two accounts{', no noise' if small else ''}) ...")
        t = time.monotonic()
        built = aws_estate.build_estate(noise=not small)
        result.timings["build_aws"] = time.monotonic() - t
        result.built = built.counts
        echo("  " + ", ".join(f"{n} {what}" for what, n in sorted(built.counts.items())))
        regions = [a for r in (aws_estate.PRIMARY_REGION,) + (() if small else aws_estate.NOISE_REGIONS[1:])
                   for a in ("--region", r)]
        _load(result, echo, f"aws account {aws_estate.PROD}", "load", "aws", *regions)
        _load(result, echo, f"aws account {aws_estate.SHARED} (assumed role)", "load", "aws", *regions,
              "--role-arn", aws_estate.cross_account_role_arn())
        for name in TRIVY_REPORTS:
            _load(result, echo, f"trivy report of {name}", "load", "trivy", str(data / "trivy" / f"{name}.json"),
                  "--asset", built.instances[name])
    exports = [a for f in sorted((data / "azure").glob("*.json")) for a in ("--export", str(f))]
    _load(result, echo, f"azure subscription {AZURE_SUBSCRIPTION}", "load", "azure", *exports)
    _load(result, echo, "classification file", "load", "classification", str(data / "classification.yaml"))
    _load(result, echo, "CISA KEV sample", "load", "kev", str(data / "kev.json"))
    _load(result, echo, "EPSS sample", "load", "epss", str(data / "epss.csv"))


def _load(result: DemoResult, echo: Echo, what: str, *verb: str) -> None:
    if not _verb_exists(*verb[:2]):
        echo(f"Skipping {what}: `cloudmap {' '.join(verb[:2])}` is not available in this installation")
        return
    echo(f"Loading {what} ...")
    t = time.monotonic()
    out = run_verb(*verb)
    result.timings[what] = time.monotonic() - t
    result.loads[what] = out if isinstance(out, dict) else {"syncs": out}
    echo(f"  {describe(out)} in {result.timings[what]:.1f} s")


def analyse(graph: Graph, result: DemoResult, echo: Echo) -> None:
    from cloudmap.findings.analysis import run_analysis

    echo("Deriving attack paths and running the rules ...")
    t = time.monotonic()
    result.analysis = run_analysis(graph, progress=lambda msg: echo(f"  {msg}"))
    result.timings["analysis"] = time.monotonic() - t


def run_demo(graph: Graph, echo: Echo, force: bool = False, small: bool = False) -> DemoResult:
    foreign = foreign_assets(graph)
    if foreign and not force:
        raise DemoError(f"the graph holds {foreign} assets of accounts that are not the demo's; the demo would "
                        f"mix with them. Use an empty database, or --force to load the demo alongside")
    result = DemoResult()
    t = time.monotonic()
    load_estate(result, echo, small=small)
    analyse(graph, result, echo)
    result.timings["total"] = time.monotonic() - t
    return result
