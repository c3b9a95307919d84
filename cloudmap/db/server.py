"""A local Neo4j Community server that cloudmap starts and stops itself.

Two routes to the same server: the official ``neo4j:5.26-community`` image when a Docker engine
answers, else the JVM with the jars from :mod:`cloudmap.db.runtime`. ``stop`` only stops what
``start`` started (the pid file or the named container).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from cloudmap.db.runtime import ADMIN_CLASS, MAIN_CLASS, ServerError, ensure_runtime, find_java

# The flags the official neo4j launcher passes (server.jvm.additional in the shipped neo4j.conf).
JVM_FLAGS = [
    "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+AlwaysPreTouch",
    "-XX:+UnlockExperimentalVMOptions", "-XX:+TrustFinalNonStaticFields", "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024", "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048", "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256", "-XX:+UnlockDiagnosticVMOptions", "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true", "-Dfile.encoding=UTF-8",
]
DOCKER_IMAGE = "neo4j:5.26-community"
DOCKER_NAME = "cloudmap-neo4j"


@dataclass
class ServerInfo:
    bolt_uri: str
    browser_url: str
    log_file: Path | None
    route: str  # "jvm", "docker" or "external"
    pid: int | None = None


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker_available() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def new_password() -> str:
    # letters and digits only: a generated password must never look like a command-line option
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


class LocalServer:
    """One server home (conf/, data/, logs/, run/) on given ports."""

    def __init__(self, home: Path, *, bolt_port: int, http_port: int, password: str, heap: str = "512m",
                 pagecache: str = "256m", data_dir: Path, neo4j_version: str, browser_version: str,
                 user: str = "neo4j", use_docker: str = "auto", extra_conf: dict[str, str] | None = None,
                 tx_timeout: str = "30m", tx_memory: str = "256m"):
        self.home = Path(home)
        self.bolt_port, self.http_port = bolt_port, http_port
        self.user, self.password = user, password
        self.heap, self.pagecache = heap, pagecache
        self.data_dir, self.neo4j_version, self.browser_version = data_dir, neo4j_version, browser_version
        self.use_docker = use_docker
        self.extra_conf = extra_conf or {}
        self.tx_timeout, self.tx_memory = tx_timeout, tx_memory

    # -- paths -------------------------------------------------------------------------------------
    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "cloudmap-neo4j.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "neo4j.log"

    @property
    def console_log(self) -> Path:
        return self.home / "logs" / "console.log"

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"

    def info(self, route: str) -> ServerInfo:
        return ServerInfo(self.bolt_uri, self.browser_url, self.log_file, route, self.running_pid())

    # -- state -------------------------------------------------------------------------------------
    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        try:  # a recycled pid is not ours
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if MAIN_CLASS.encode() not in cmdline:
                return None
        except OSError:
            pass
        return pid

    def docker_running(self) -> bool:
        try:
            out = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", DOCKER_NAME],
                                 capture_output=True, text=True, timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return out.returncode == 0 and out.stdout.strip() == "true"

    # -- start -------------------------------------------------------------------------------------
    def start(self, echo=print, timeout: float = 180) -> ServerInfo:
        if self.running_pid():
            self.wait_for_bolt(timeout)
            return self.info("jvm")
        if self.use_docker != "no" and self.docker_running():
            self.wait_for_bolt(timeout)
            return self.info("docker")
        for port, setting in ((self.bolt_port, "CLOUDMAP_BOLT_PORT"), (self.http_port, "CLOUDMAP_HTTP_PORT")):
            if not port_free(port):
                raise ServerError(f"port {port} on 127.0.0.1 is in use by another program: stop it or choose "
                                  f"another port with {setting}")
        if self.use_docker == "yes" or (self.use_docker == "auto" and docker_available()):
            return self._start_docker(echo, timeout)
        return self._start_jvm(echo, timeout)

    def _start_jvm(self, echo, timeout: float) -> ServerInfo:
        java = find_java()
        lib = ensure_runtime(self.data_dir, self.neo4j_version, self.browser_version, echo=echo) / "lib"
        self.make_home()
        self.write_conf()
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}
        if not (self.home / "data" / "dbms" / "auth.ini").exists() and not (self.home / "data" / "databases").exists():
            self._set_initial_password(java, lib, env)
        cmd = [java, f"-Xms{self.heap}", f"-Xmx{self.heap}", *JVM_FLAGS, "-cp", f"{lib}/*", MAIN_CLASS,
               f"--home-dir={self.home}", f"--config-dir={self.home / 'conf'}"]
        with open(self.console_log, "ab") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, cwd=self.home, start_new_session=True)
        self.pid_file.write_text(f"{proc.pid}\n")
        try:
            self.wait_for_bolt(timeout, proc=proc)
        except ServerError:
            self.stop()
            raise
        return self.info("jvm")

    def make_home(self) -> None:
        """The server home and its directories, readable by this user only (stores, logs, config)."""
        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        for sub in ("conf", "data", "logs", "run", "plugins"):
            (self.home / sub).mkdir(exist_ok=True, mode=0o700)
            os.chmod(self.home / sub, 0o700)

    def _set_initial_password(self, java: str, lib: Path, env: dict) -> None:
        """The admin tool reads its arguments from a 0600 file (picocli's @file), so the password is never
        in a command line that `ps` shows."""
        args = self.home / "run" / "initial-password.args"
        fd = os.open(args, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        quoted = '"' + self.password.replace("\\", "\\\\").replace('"', '\\"') + '"'
        with os.fdopen(fd, "w") as fh:
            fh.write(f"dbms\nset-initial-password\n--\n{quoted}\n")
        try:
            proc = subprocess.run([java, "-cp", f"{lib}/*", ADMIN_CLASS, f"@{args}"], capture_output=True,
                                  text=True, env=env, timeout=120)
        finally:
            args.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise ServerError(f"could not set the initial Neo4j password: {proc.stderr.strip()[-300:]}")

    def _start_docker(self, echo, timeout: float) -> ServerInfo:
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        echo(f"Starting {DOCKER_IMAGE} in Docker as {DOCKER_NAME}...")
        subprocess.run(["docker", "rm", "-f", DOCKER_NAME], capture_output=True)
        cmd = ["docker", "run", "-d", "--name", DOCKER_NAME,
               "-p", f"127.0.0.1:{self.bolt_port}:7687", "-p", f"127.0.0.1:{self.http_port}:7474",
               "-v", f"{self.home / 'data'}:/data", "-v", f"{self.home / 'logs'}:/logs",
               "-e", f"NEO4J_AUTH={self.user}/{self.password}",
               "-e", "NEO4J_dbms_usage__report_enabled=false",
               "-e", f"NEO4J_server_memory_heap_max__size={self.heap}",
               "-e", f"NEO4J_server_memory_pagecache_size={self.pagecache}", DOCKER_IMAGE]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ServerError(f"docker run {DOCKER_IMAGE} failed: {proc.stderr.strip()[-300:]}")
        self.wait_for_bolt(timeout)
        return self.info("docker")

    def write_conf(self) -> None:
        conf = {
            "server.default_listen_address": "127.0.0.1",
            "server.bolt.listen_address": f"127.0.0.1:{self.bolt_port}",
            "server.bolt.advertised_address": f"127.0.0.1:{self.bolt_port}",
            "server.http.listen_address": f"127.0.0.1:{self.http_port}",
            "server.http.advertised_address": f"127.0.0.1:{self.http_port}",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "true",
            "dbms.usage_report.enabled": "false",
            "server.memory.heap.initial_size": self.heap,
            "server.memory.heap.max_size": self.heap,
            "server.memory.pagecache.size": self.pagecache,
            "db.tx_log.rotation.retention_policy": "100M size",
            "server.directories.data": str(self.home / "data"),
            "server.directories.logs": str(self.home / "logs"),
            "server.directories.run": str(self.home / "run"),
            "server.directories.plugins": str(self.home / "plugins"),
            # no import directory and no file URLs: LOAD CSV cannot read the server's files
            "dbms.security.allow_csv_import_from_file_urls": "false",
            # every transaction is bounded by the server, whoever sent it (hunts get a shorter timeout)
            "db.transaction.timeout": self.tx_timeout,
            "db.memory.transaction.max": self.tx_memory,
            "dbms.memory.transaction.total.max": _total_tx_memory(self.heap),
            **self.extra_conf,
        }
        (self.home / "conf").mkdir(parents=True, exist_ok=True)
        (self.home / "conf" / "neo4j.conf").write_text("".join(f"{k}={v}\n" for k, v in conf.items()))
        os.chmod(self.home / "conf" / "neo4j.conf", 0o600)

    def wait_for_bolt(self, timeout: float, proc: subprocess.Popen | None = None) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise ServerError(f"Neo4j exited during start-up (code {proc.returncode}): "
                                  f"{self._last_error()} — see {self.console_log}")
            try:
                with GraphDatabase.driver(self.bolt_uri, auth=(self.user, self.password)) as drv:
                    drv.verify_connectivity()
                return
            except AuthError:
                raise ServerError(f"Neo4j at {self.bolt_uri} refused the password for user {self.user}: "
                                  f"set NEO4J_PASSWORD to the password of the data in {self.home / 'data'}") from None
            except (ServiceUnavailable, OSError) as exc:
                last = exc
                time.sleep(0.5)
        raise ServerError(f"Neo4j did not answer on {self.bolt_uri} within {timeout:.0f}s ({last}); see {self.log_file}")

    def _last_error(self) -> str:
        for path in (self.console_log, self.log_file):
            try:
                lines = path.read_text(errors="replace").splitlines()
            except OSError:
                continue
            errs = [ln for ln in lines if "ERROR" in ln or "Exception" in ln]
            if errs:
                return errs[-1].strip()[:400]
        return "no error in the logs"

    # -- stop --------------------------------------------------------------------------------------
    def stop(self, timeout: float = 60) -> bool:
        """Stop the server this home started. Returns False when nothing of ours was running."""
        pid = self.running_pid()
        if pid is None:
            if self.use_docker != "no" and self.docker_running():
                subprocess.run(["docker", "stop", DOCKER_NAME], capture_output=True)
                return True
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM) if _is_group_leader(pid) else os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            _reap(pid)
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True


def _total_tx_memory(heap: str) -> str:
    """Memory of all transactions together: 70% of the heap (Neo4j's default), set explicitly."""
    units = {"k": 1, "m": 1024, "g": 1024 * 1024}
    kib = int(heap[:-1]) * units[heap[-1].lower()]
    return f"{kib * 7 // 10}k"


def _is_group_leader(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass

