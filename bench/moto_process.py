"""moto in a process of its own, for the benchmarks that time tools against it.

    python -m bench.moto_process PORT UNIMPLEMENTED_FILE

moto answers from one Python process, and every request holds its interpreter lock while moto builds the
answer. Run inside the harness, the delay proxy and the harness's own threads would queue behind it;
here it has a core of its own. The stand-ins for what moto lacks are installed before it serves, and
every action it answers with "not implemented" is appended to UNIMPLEMENTED_FILE, one per line.

:func:`moto_process` starts it and yields its endpoint, with the dummy credentials and
``AWS_ENDPOINT_URL`` set for this process and its children (``cloudmap.demo.moto_server.emulator_env``)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cloudmap.db.server import free_port
from cloudmap.demo.moto_server import emulator_env, seed


def watch_moto(record: Path) -> None:
    """Append every action moto lacks to ``record``, so a tool's failure names the AWS call behind it."""
    from moto.core.responses import BaseResponse

    original, lock = BaseResponse.call_action, threading.Lock()

    def call_action(self):
        try:
            return original(self)
        except NotImplementedError:
            with lock, record.open("a") as fh:
                fh.write(f"{self.service_name}:{self._get_action()}\n")
            raise
    BaseResponse.call_action = call_action


def stub_service_last_accessed() -> None:
    """Cartography's IAM sync asks for every principal's service-last-accessed report, which moto lacks;
    it answers 500 and Cartography backs off for minutes per principal. Answer as AWS does for a fresh
    account: the job completes at once and no service was accessed."""
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    if hasattr(IamResponse, "generate_service_last_accessed_details"):
        return

    def generate(self):
        return ActionResult({"JobId": str(uuid.uuid4())})

    def get(self):
        now = datetime.now(UTC)
        return ActionResult({"JobStatus": "COMPLETED", "JobType": "SERVICE_LEVEL", "JobCreationDate": now,
                             "JobCompletionDate": now, "ServicesLastAccessed": [], "IsTruncated": False})
    IamResponse.generate_service_last_accessed_details = generate
    IamResponse.get_service_last_accessed_details = get


STUBS = ["iam:GenerateServiceLastAccessedDetails", "iam:GetServiceLastAccessedDetails"]


def unimplemented(record: Path) -> list[str]:
    """The actions recorded since the last call (and forget them)."""
    if not record.exists():
        return []
    names = sorted(set(record.read_text().split()))
    record.write_text("")
    return names


@contextmanager
def moto_process(record: Path, stub: bool = True) -> Iterator[str]:
    port = free_port()
    record.write_text("")
    log = record.with_suffix(".log")   # moto's own output, for when it does not start
    cmd = [sys.executable, "-m", "bench.moto_process", str(port), str(record), *([] if stub else ["--no-stub"])]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=Path(__file__).resolve().parent.parent, stdout=out,
                                stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                seed(endpoint, timeout=5)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not start on port {port} (exit code {proc.poll()}; "
                                       f"its output: {log})") from None
                time.sleep(0.2)
        with emulator_env(endpoint):
            yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    from moto.server import ThreadedMotoServer

    port, record = int(sys.argv[1]), Path(sys.argv[2])
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    watch_moto(record)
    if "--no-stub" not in sys.argv:
        stub_service_last_accessed()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    threading.Event().wait()  # until terminated


if __name__ == "__main__":
    main()
