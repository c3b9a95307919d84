"""A throw-away AWS (moto) on a free loopback port, for building and loading the demo estate."""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import boto3

from cloudmap.config import ConfigError
from cloudmap.db.server import free_port

# moto maps these credentials to its default account; the loader uses them as it would real ones.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
SEED = 20211209  # moto's random ids (instance ids, ...) repeat from run to run


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto in this process; yields its endpoint URL. Environment is restored afterwards."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise ConfigError("the demo builds its AWS accounts in moto, a local AWS emulator, which is not installed: "
                          "pip install 'cloudmap[demo]'") from None

    # An access-log line per AWS call otherwise, and a traceback per call moto cannot answer (the demo
    # says those once, through EmulatorSession).
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        seed(endpoint)
        with emulator_env(endpoint):
            yield endpoint
    finally:
        server.stop()


def seed(endpoint: str, timeout: float = 10) -> None:
    """Fix moto's random ids for this server (raises OSError while it does not answer yet)."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/seed?a={SEED}", method="POST"),
                           timeout=timeout).close()


@contextmanager
def emulator_env(endpoint: str) -> Iterator[None]:
    """The dummy credentials and ``AWS_ENDPOINT_URL`` in this process's environment (so boto3 here and
    every child process reach the emulator), restored afterwards."""
    saved = {k: os.environ.get(k) for k in (*DUMMY_CREDENTIALS, "AWS_ENDPOINT_URL")}
    os.environ.update(DUMMY_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@cache
def emulated(service: str) -> bool:
    """Whether moto has a backend for this boto3 service name."""
    from moto.backends import get_backend

    try:
        get_backend(service)
    except ImportError:
        return False
    return True


class EmulatorSession(boto3.Session):
    """A session on moto that turns what moto cannot answer into a skipped scope rather than a failed
    one: a service moto has no backend for, or a call it answers with a 500 (an action it does not
    implement). ``unanswered`` collects those service names, shared with the sessions of ``sibling``,
    so the demo can say them once."""

    def __init__(self, *args, unanswered: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unanswered = set() if unanswered is None else unanswered

    def sibling(self, other: boto3.Session) -> EmulatorSession:
        """``other`` (e.g. an assumed role's session) on the same emulator, sharing ``unanswered``."""
        creds = other.get_credentials()
        return EmulatorSession(aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key,
                               aws_session_token=creds.token, region_name=other.region_name,
                               unanswered=self.unanswered)

    def client(self, service_name: str, *args, **kwargs):
        from cloudmap.loaders.aws.context import Skipped

        if not emulated(service_name):
            self.unanswered.add(service_name)
            raise Skipped(f"moto does not emulate {service_name}")
        client = super().client(service_name, *args, **kwargs)
        client.meta.events.register("before-parse", self._unanswered)
        return client

    def _unanswered(self, response_dict: dict, operation_model, **_) -> None:
        from cloudmap.loaders.aws.context import Skipped

        if response_dict.get("status_code") == 500:  # before botocore retries it
            service = operation_model.service_model.service_name
            self.unanswered.add(service)
            raise Skipped(f"moto does not implement {service} {operation_model.name}")
