"""Peak memory of reading hostile and large inputs: each case runs in a fresh Python process that
generates nothing, only reads and parses the file the way its loader does (no database involved),
and reports its peak RSS (VmHWM) against the file's size (the expanded size for gzip files).

    .venv/bin/python -m bench.input_memory --mb 100

Cases: an EPSS CSV (streamed, kept rows filtered as the loader does against the graph's CVEs), a
kubectl pod list, an Azure Resource Graph export and a Trivy report of about ``--mb`` MB each, their
gzip variants, and a gzip bomb that expands to 1 GiB (refused at the 512 MB cap)."""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

READERS = {  # (import, read) : the import is done before the baseline is taken
    "epss": ("from cloudmap.loaders.epss.scores import read_scores as r",
             "rows = r(p, keep=lambda cve: cve.endswith('7'))"),   # ~10% kept, like a graph's CVEs
    "kubectl": ("from cloudmap.loaders.kubernetes.source import read_files as r", "rows = r([p])"),
    "azure": ("from cloudmap.loaders.azure.exports import read_export as r", "rows = r(p)"),
    "trivy": ("from cloudmap.loaders.trivy.report import read_reports as r", "rows = r(p)"),
}
# VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child would report its parent's peak.
PROBE = """
import sys, time
from pathlib import Path


def hwm():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))


{load}
p = Path(sys.argv[1])
base = hwm()
t = time.monotonic()
error = None
try:
    {reader}
except Exception as exc:
    error = str(exc)[-80:]
print(base, hwm(), round(time.monotonic() - t, 2), repr(error))
"""


def epss(path: Path, mb: int) -> None:
    with path.open("w") as out:
        out.write("#model_version:v2023.03.01,score_date:2024-05-13T00:00:00+0000\ncve,epss,percentile\n")
        n = 0
        while out.tell() < mb << 20:
            out.write(f"CVE-{2000 + n % 25}-{n:07d},0.{n % 99991:05d},0.{n % 99989:05d}\n")
            n += 1


def kubectl(path: Path, mb: int) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop", "uid": "u",
           "labels": {"app": "web", "tier": "front"}}, "spec": {"serviceAccountName": "default", "containers": [
           {"name": "web", "image": "nginx:1.25.3", "ports": [{"containerPort": 80}]}]},
           "status": {"phase": "Running", "podIP": "10.0.0.1"}}
    one = len(json.dumps(pod))
    items = []
    for i in range((mb << 20) // one):
        items.append({**pod, "metadata": {**pod["metadata"], "name": f"web-{i}", "uid": f"u-{i}"}})
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))


def azure(path: Path, mb: int) -> None:
    row = {"type": "microsoft.compute/virtualmachines", "location": "westeurope", "tags": {"env": "prod"},
           "subscriptionId": "5f1e6a7b-1111-4222-8333-444455556666",
           "properties": {"hardwareProfile": {"vmSize": "Standard_B2s"}, "networkProfile": {"networkInterfaces": []}}}
    one = len(json.dumps(row)) + 90
    rows = [{**row, "id": f"/subscriptions/5f1e6a7b-1111-4222-8333-444455556666/resourcegroups/rg/providers/"
                          f"microsoft.compute/virtualmachines/vm-{i}", "name": f"vm-{i}"}
            for i in range((mb << 20) // one)]
    path.write_text(json.dumps({"data": rows}))


def trivy(path: Path, mb: int) -> None:
    vuln = {"PkgName": "openssl", "InstalledVersion": "3.0.2", "FixedVersion": "3.0.13", "Severity": "HIGH",
            "Title": "a title", "Description": "x" * 300, "References": ["https://example.org/advisory"]}
    one = len(json.dumps(vuln)) + 40
    vulns = [{**vuln, "VulnerabilityID": f"CVE-2024-{i:06d}"} for i in range((mb << 20) // one)]
    path.write_text(json.dumps({"SchemaVersion": 2, "ArtifactName": "nginx:1.25.3", "ArtifactType": "container_image",
                                "Results": [{"Target": "nginx", "Class": "os-pkgs", "Vulnerabilities": vulns}]}))


def bomb(path: Path) -> None:
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    with path.open("wb") as out:
        for _ in range(64):
            out.write(comp.compress(bytes(1 << 24)))
        out.write(comp.flush())


def measure(reader: str, path: Path, expanded: int | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE.format(load=READERS[reader][0], reader=READERS[reader][1]), str(path)],
                         capture_output=True, text=True, check=True).stdout.split(maxsplit=3)
    base, peak, seconds, error = int(out[0]), int(out[1]), float(out[2]), out[3].strip()
    size = path.stat().st_size
    data = expanded or size
    grown = (peak - base) * 1024
    return {"case": path.name, "reader": reader, "file_mb": round(size / 2**20, 1),
            "data_mb": round(data / 2**20, 1), "peak_rss_mb": round(peak / 1024), "read_rss_mb": round(grown / 2**20),
            "read_rss_per_data_byte": round(grown / data, 2), "seconds": seconds,
            "error": None if error == "None" else error.strip("'\"")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in (("epss", epss), ("kubectl", kubectl), ("azure", azure), ("trivy", trivy)):
            path = Path(tmp) / f"{name}.{'csv' if name == 'epss' else 'json'}"
            build(path, args.mb)
            print(json.dumps(measure(name, path)), flush=True)
            packed = path.with_name(path.name + ".gz")
            with path.open("rb") as src, gzip.open(packed, "wb", compresslevel=1) as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            expanded = path.stat().st_size
            path.unlink()
            print(json.dumps(measure(name, packed, expanded)), flush=True)
            packed.unlink()
        path = Path(tmp) / "bomb.json.gz"
        bomb(path)
        print(json.dumps(measure("azure", path, 1 << 30)), flush=True)


if __name__ == "__main__":
    main()
