"""`cloudmap demo` as a function: build the estate, load it through the real loaders, analyse.

Every source goes through its loader's library entry point, the same function its `cloudmap load ...`
verb calls. Each long part runs as a step from the ``steps`` factory the caller passes (the CLI draws
them as spinners); what the user should know afterwards goes to ``DemoResult.notes``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Protocol

from cloudmap.demo import aws_estate
from cloudmap.graph.driver import Graph
from cloudmap.loaders.kit import LoadSummary

AZURE_SUBSCRIPTION = "5f1e6a7b-1111-4222-8333-444455556666"
AZURE_TENANT = "a1b2c3d4-0000-4000-8000-00000000aaaa"   # its Entra directory: data/entra
GCP_ACCOUNTS = ("100", "200", "111", "222")                # its GCP organization, folder and projects: data/gcp
DEMO_ACCOUNTS = (aws_estate.PROD, aws_estate.SHARED, AZURE_SUBSCRIPTION, AZURE_TENANT, *GCP_ACCOUNTS)
# Each Trivy report scanned one instance's volume; the demo attaches it to that instance.
TRIVY_REPORTS = ("payments-web", "marketing-blog", "batch-worker", "bastion")

Report = Callable[[str], None]


class Step(Protocol):
    def report(self, message: str) -> None: ...   # the latest news of a running step
    def say(self, message: str) -> None: ...      # a line that stays
    def done(self, detail: str) -> None: ...      # what the step's closing line says


Steps = Callable[[str], AbstractContextManager[Step]]


class _Quiet:
    def report(self, message: str) -> None: ...
    def say(self, message: str) -> None: ...
    def done(self, detail: str) -> None: ...


@contextmanager
def quiet(title: str) -> Iterator[Step]:
    """Steps that say nothing (library and test use)."""
    yield _Quiet()


class DemoError(Exception):
    """The demo cannot run (foreign data in the graph, a loader failed); the message says why."""


@dataclass
class DemoResult:
    timings: dict[str, float] = field(default_factory=dict)
    built: dict[str, int] = field(default_factory=dict)
    loads: dict[str, list[dict]] = field(default_factory=dict)
    analysis: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def data_dir() -> Path:
    return Path(str(resources.files("cloudmap.demo").joinpath("data")))


def foreign_assets(graph: Graph) -> int:
    """Assets of accounts that are not the demo's (user data the demo must not mix with)."""
    return graph.read("MATCH (n:Asset) WHERE n.account_id IS NOT NULL AND NOT n.account_id IN $ids "
                      "RETURN count(n) AS n", ids=list(DEMO_ACCOUNTS))[0]["n"]


def describe(summaries: list[LoadSummary]) -> str:
    """One line from loaders' summaries: what they wrote, or the counts an enrichment reports."""
    if len(summaries) == 1:
        summary = summaries[0]
        counts = {k: v for k, v in summary.details.items() if isinstance(v, int) and not isinstance(v, bool)}
        if counts and not any(k[0].isupper() for k in summary.written):
            return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
    return f"{sum(sum(s.written.values()) for s in summaries):,} nodes and relationships written"


def counted(report: Report, total: int) -> Report:
    """``report`` with a running count in front: ``12/56 aws/.../ec2``."""
    seen = itertools.count(1)
    return lambda message: report(f"{next(seen)}/{total} {message}")


def load_estate(graph: Graph, result: DemoResult, steps: Steps = quiet, small: bool = False) -> None:
    """Build the AWS accounts in moto and load every demo source into the graph."""
    from cloudmap.demo.moto_server import EmulatorSession, moto_server
    from cloudmap.loaders import aws, azure
    from cloudmap.loaders.classification.file import load_classification
    from cloudmap.loaders.entra.load import load_exports as load_entra
    from cloudmap.loaders.epss.scores import load_scores
    from cloudmap.loaders.gcp.load import load_exports as load_gcp
    from cloudmap.loaders.kev.feed import load_catalog
    from cloudmap.loaders.trivy.report import read_reports
    from cloudmap.loaders.vulns import load_files

    data = data_dir()
    with moto_server() as endpoint:
        with steps(f"AWS estate in moto at {endpoint}") as step:
            t = time.monotonic()
            built = aws_estate.build_estate(noise=not small)
            result.timings["build_aws"] = time.monotonic() - t
            result.built = built.counts
            step.done("2 accounts, " + ", ".join(f"{n} {what.replace('_', ' ')}"
                                                  for what, n in sorted(built.counts.items())))
        regions = [aws_estate.PRIMARY_REGION, *(() if small else aws_estate.NOISE_REGIONS[1:])]
        session = EmulatorSession()
        scopes = aws.scope_count(regions)
        _load(result, steps, f"AWS account {aws_estate.PROD}",
              lambda report: aws.load(graph, session, regions, progress=counted(report, scopes)))
        _load(result, steps, f"AWS account {aws_estate.SHARED} (assumed role)", lambda report: aws.load(
            graph, session.sibling(aws.assume_role(session, aws_estate.cross_account_role_arn())), regions,
            progress=counted(report, scopes)))
        _load(result, steps, f"Trivy reports of {len(TRIVY_REPORTS)} instances",
              *(lambda report, name=name: load_files(graph, "trivy", read_reports, [data / "trivy" / f"{name}.json"],
                                                     built.instances[name], progress=report)
                for name in TRIVY_REPORTS))
    if session.unanswered:
        result.notes.append(f"moto, the local AWS emulator, does not answer {', '.join(sorted(session.unanswered))}: "
                            "the demo skipped those scopes (a real account loads them).")
    exports = sorted((data / "azure").glob("*.json"))
    _load(result, steps, f"Azure subscription {AZURE_SUBSCRIPTION}",
          lambda report: azure.load(graph, exports=exports, progress=report))
    _load(result, steps, f"Entra ID tenant {AZURE_TENANT}",
          lambda _: load_entra(graph, sorted((data / "entra").glob("*.json")), tenant=AZURE_TENANT))
    _load(result, steps, "GCP organization (2 projects)", lambda _: load_gcp(graph, sorted((data / "gcp").glob("*.json"))))
    _load(result, steps, "Classification file", lambda _: load_classification(graph, data / "classification.yaml"))
    _load(result, steps, "CISA KEV sample", lambda _: load_catalog(graph, data / "kev.json"))
    _load(result, steps, "EPSS sample", lambda _: load_scores(graph, data / "epss.csv"))


def _load(result: DemoResult, steps: Steps, what: str, *loads: Callable[[Report], LoadSummary]) -> None:
    """One step that runs ``loads`` (each hears the step's progress hook); AWS scopes that fail are noted."""
    t = time.monotonic()
    summaries = []
    with steps(what) as step:
        for load in loads:
            try:
                summary = load(step.report)
            except ValueError as exc:  # InputError / AzureInputError: a demo data file the loader refuses
                raise DemoError(f"loading {what} failed: {exc}") from None
            if summary.status != "success" and summary.provider != "aws":
                raise DemoError(f"loading {what} failed: {'; '.join(summary.errors) or summary.status}")
            if summary.errors:
                result.notes.append(f"{what}: {len(summary.errors)} scope(s) failed: {'; '.join(summary.errors)}")
            summaries.append(summary)
        step.done(describe(summaries))
    result.timings[what] = time.monotonic() - t
    result.loads[what] = [s.as_json() for s in summaries]


def analyse(graph: Graph, result: DemoResult, steps: Steps = quiet) -> None:
    from cloudmap.findings.analysis import run_analysis

    t = time.monotonic()
    with steps("Attack paths and rules") as step:
        result.analysis = run_analysis(graph, progress=step.report)
        step.done(f"{result.analysis['findings']['open']} findings from {result.analysis['rules']['run']} rules")
    result.notes += [f"rule skipped: {p}" for p in result.analysis["problems"]]
    result.timings["analysis"] = time.monotonic() - t


def seed_cases(graph: Graph) -> list[dict]:
    """The top open finding through each seed VM (``aws_estate.SEED_CASES``), with what the case shows."""
    from cloudmap.findings.query import list_findings

    out = []
    for name, story in aws_estate.SEED_CASES:
        ids = graph.read("MATCH (v:VirtualMachine {name: $name}) WHERE v.account_id = $account RETURN v.id AS id",
                         name=name, account=aws_estate.PROD)
        found = list_findings(graph, asset=ids[0]["id"], limit=1, view="summary")[0] if ids else []
        out.append({"name": name, "story": story, "finding": found[0] if found else None})
    return out


def run_demo(graph: Graph, steps: Steps = quiet, force: bool = False, small: bool = False) -> DemoResult:
    foreign = foreign_assets(graph)
    if foreign and not force:
        raise DemoError(f"the graph holds {foreign} assets of accounts that are not the demo's; the demo would "
                        f"mix with them. Use an empty database, or --force to load the demo alongside")
    result = DemoResult()
    t = time.monotonic()
    load_estate(graph, result, steps, small=small)
    analyse(graph, result, steps)
    result.timings["total"] = time.monotonic() - t
    return result
