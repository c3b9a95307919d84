"""Assemble a Neo4j Community server from Maven Central: find a JDK, resolve the jars once, cache them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

SUPPORTED_JAVA = (17, 21)
JVM_ROOT = Path("/usr/lib/jvm")  # where Debian and Temurin packages install JDKs
MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"


class ServerError(Exception):
    """The local server could not be assembled, started or reached; the message says how to fix it."""


def java_major(java: str) -> int | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major


def find_java() -> str:
    """A java binary of a supported major version: JAVA_HOME, then PATH, then /usr/lib/jvm."""
    candidates = []
    if os.environ.get("JAVA_HOME") and (Path(os.environ["JAVA_HOME"]) / "bin" / "java").exists():
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    if shutil.which("java"):
        candidates.append(shutil.which("java"))
    candidates += sorted(str(p) for p in JVM_ROOT.glob("*/bin/java"))
    seen = []
    for java in candidates:
        major = java_major(java)
        seen.append(f"{java} ({major or 'unusable'})")
        if major in SUPPORTED_JAVA:
            return java
    if not candidates:
        raise ServerError("no Java found: install a JDK 17 or 21 (e.g. apt-get install openjdk-17-jre-headless) "
                          "or set JAVA_HOME")
    raise ServerError(f"Neo4j 5.26 needs Java 17 or 21; found {', '.join(seen)}: install one or set JAVA_HOME")


def runtime_dir(data_dir: Path, neo4j_version: str, browser_version: str) -> Path:
    return data_dir / "runtime" / f"neo4j-{neo4j_version}-browser-{browser_version}"


def ensure_runtime(data_dir: Path, neo4j_version: str, browser_version: str, echo=print,
                   progress: Callable[[str], None] | None = None) -> Path:
    """The folder of jars for this version, resolved with mvn on first use (about 140 MB).
    ``progress`` hears how many jars have arrived while mvn runs."""
    target = runtime_dir(data_dir, neo4j_version, browser_version)
    if (target / ".complete").exists():
        return target
    mvn = shutil.which("mvn")
    if not mvn:
        raise ServerError("Maven (mvn) is not installed; it fetches the Neo4j jars once: "
                          "apt-get install maven, or set NEO4J_URI to a server of your own")
    echo(f"Fetching Neo4j {neo4j_version} and Neo4j Browser {browser_version} from Maven Central "
         f"into {target} (once)...")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".fetch-", dir=target.parent))
    try:
        pom = work / "pom.xml"
        pom.write_text(resources.files("cloudmap.db").joinpath("neo4j-runtime.pom.xml").read_text())
        cmd = [mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(pom), "dependency:copy-dependencies", "-DincludeScope=runtime",
               f"-DoutputDirectory={work / 'lib'}", f"-Dneo4j.version={neo4j_version}",
               f"-Dbrowser.version={browser_version}"]
        returncode, output = _run_reporting_jars(cmd, work / "lib", progress, timeout=1800)
        if returncode != 0:
            raise ServerError(_explain_mvn_failure(output, neo4j_version))
        (work / ".complete").write_text(neo4j_version + "\n")
        if target.exists():  # another process finished first
            shutil.rmtree(work, ignore_errors=True)
        else:
            work.rename(target)
    except subprocess.TimeoutExpired:
        raise ServerError("mvn did not finish fetching the Neo4j jars within 30 minutes: check the network "
                          "to Maven Central") from None
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return target


def _run_reporting_jars(cmd: list[str], lib: Path, progress, timeout: float) -> tuple[int, str]:
    """Run mvn; every second, tell ``progress`` how many jars (and MB) are in ``lib`` so far."""
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        def report() -> None:
            if progress and lib.is_dir():
                jars = list(lib.glob("*.jar"))
                progress(f"{len(jars)} jars, {sum(j.stat().st_size for j in jars) / 1e6:.0f} MB")

        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise subprocess.TimeoutExpired(cmd, timeout)
            report()
            time.sleep(1)
        report()   # the final count, however fast mvn was
        log.seek(0)
        return proc.returncode, log.read()


def _explain_mvn_failure(output: str, version: str) -> str:
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    lines = [ln for ln in output.splitlines() if "ERROR" in ln]
    first = lines[0].replace("[ERROR]", "").strip() if lines else output.strip()[-300:]
    if re.search(r"was not found in|Could not find artifact", output):
        return f"Maven Central has no Neo4j {version} (CLOUDMAP_NEO4J_VERSION) or Browser of that version: {first[:300]}"
    if re.search(r"UnknownHost|Connect(ion)? (refused|timed out)|Could not transfer|Network is unreachable", output):
        return (f"cannot download the Neo4j jars from Maven Central (no network?): {first[:300]}; "
                f"connect to the network once, or set NEO4J_URI to a server of your own")
    return f"mvn failed to fetch the Neo4j jars: {first[:300]}"
