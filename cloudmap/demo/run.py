"""`cloudmap demo` as a function: build the estate, load it through the real loaders, analyse.

Every source goes through its loader's library entry point, the same function its `cloudmap load ...`
verb calls; progress goes to the echo callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cloudmap.demo import aws_estate
from cloudmap.graph.driver import Graph
from cloudmap.loaders.kit import LoadSummary

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


def describe(summary: LoadSummary) -> str:
    """One line from a loader's summary: what it wrote, or the counts it reports."""
    written = sum(summary.written.values())
    counts = {k: v for k, v in summary.details.items() if isinstance(v, int) and not isinstance(v, bool)}
    if counts and not any(k[0].isupper() for k in summary.written):
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
    return f"{written} nodes and relationships written"


def load_estate(graph: Graph, result: DemoResult, echo: Echo, small: bool = False) -> None:
    """Build the AWS accounts in moto and load every demo source into the graph."""
    import boto3

    from cloudmap.demo.moto_server import moto_server
    from cloudmap.loaders import aws, azure
    from cloudmap.loaders.classification.file import load_classification
    from cloudmap.loaders.epss.scores import load_scores
    from cloudmap.loaders.kev.feed import load_catalog
    from cloudmap.loaders.trivy.report import read_reports
    from cloudmap.loaders.vulns import load_files

    data = data_dir()
    with moto_server() as endpoint:
        echo(f"Building the AWS estate in moto at {endpoint} (two accounts{', no noise' if small else ''}) ...")
        t = time.monotonic()
        built = aws_estate.build_estate(noise=not small)
        result.timings["build_aws"] = time.monotonic() - t
        result.built = built.counts
        echo("  " + ", ".join(f"{n} {what}" for what, n in sorted(built.counts.items())))
        regions = [aws_estate.PRIMARY_REGION, *(() if small else aws_estate.NOISE_REGIONS[1:])]
        session = boto3.Session()
        _load(result, echo, f"aws account {aws_estate.PROD}", lambda: aws.load(graph, session, regions))
        _load(result, echo, f"aws account {aws_estate.SHARED} (assumed role)", lambda: aws.load(
            graph, aws.assume_role(session, aws_estate.cross_account_role_arn()), regions))
        for name in TRIVY_REPORTS:
            _load(result, echo, f"trivy report of {name}", lambda name=name: load_files(
                graph, "trivy", read_reports, [data / "trivy" / f"{name}.json"], built.instances[name]))
    exports = sorted((data / "azure").glob("*.json"))
    _load(result, echo, f"azure subscription {AZURE_SUBSCRIPTION}", lambda: azure.load(graph, exports=exports))
    _load(result, echo, "classification file", lambda: load_classification(graph, data / "classification.yaml"))
    _load(result, echo, "CISA KEV sample", lambda: load_catalog(graph, data / "kev.json"))
    _load(result, echo, "EPSS sample", lambda: load_scores(graph, data / "epss.csv"))


def _load(result: DemoResult, echo: Echo, what: str, load: Callable[[], LoadSummary]) -> None:
    echo(f"Loading {what} ...")
    t = time.monotonic()
    try:
        summary = load()
    except ValueError as exc:  # InputError / AzureInputError: a demo data file the loader refuses
        raise DemoError(f"loading {what} failed: {exc}") from None
    result.timings[what] = time.monotonic() - t
    if summary.status != "success" and summary.provider != "aws":
        raise DemoError(f"loading {what} failed: {'; '.join(summary.errors) or summary.status}")
    result.loads[what] = summary.as_json()
    echo(f"  {describe(summary)} in {result.timings[what]:.1f} s")


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
    load_estate(graph, result, echo, small=small)
    analyse(graph, result, echo)
    result.timings["total"] = time.monotonic() - t
    return result
