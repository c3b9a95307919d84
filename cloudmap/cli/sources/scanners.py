"""What the scanner verbs (trivy, grype) and the feed verbs (kev, epss) share."""

from __future__ import annotations

from pathlib import Path

from cloudmap.cli.common import Format, fail, info, open_graph, print_json
from cloudmap.loaders.inputfile import InputError
from cloudmap.loaders.kit import LoadSummary


def run_scanner(scanner: str, read_reports, files: list[Path], asset_id: str | None, fmt: Format) -> None:
    """Parse every file first (one bad file writes nothing), then load."""
    from cloudmap.loaders.vulns import load_files

    try:
        with open_graph() as graph:
            s = load_files(graph, scanner, read_reports, files, asset_id)
    except InputError as exc:
        fail(str(exc))
    unmatched = s.details["unmatched"]
    if fmt == Format.json:
        print_json(s.as_json())
    else:
        info(f"{scanner}: loaded {len(files)} report(s): {s.written.get('Vulnerability', 0)} vulnerabilities, "
             f"{s.written.get('HAS_VULNERABILITY', 0)} links (sync {s.sync_id}, {s.status})")
        if unmatched:
            info(f"{len(unmatched)} report(s) had no matching workload: {', '.join(unmatched)} "
                 f"(kept as ContainerImage/Artifact nodes)")
    if s.status != "success":
        fail(f"{scanner}: some reports failed to load: {'; '.join(s.errors)}")


def run_feed(name: str, load, file: Path, fmt: Format) -> None:
    """`cloudmap load kev|epss FILE`: one line for people, the counts as JSON for machines."""
    try:
        with open_graph() as graph:
            result: LoadSummary = load(graph, Path(file))
    except InputError as exc:
        fail(str(exc))
    d = result.details
    if fmt == Format.json:
        print_json(result.as_json())
    else:
        info(f"{name}: {d['in_feed']} entries in {file}, {d['matched']} matched vulnerabilities in the "
             f"graph (of {d['vulnerabilities_in_graph']} CVEs)"
             + (f", {d['cleared']} no longer listed" if d.get("cleared") else ""))
