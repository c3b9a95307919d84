"""A throw-away AWS (moto) on a free loopback port, for building and loading the demo estate."""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

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

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per AWS call otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in (*DUMMY_CREDENTIALS, "AWS_ENDPOINT_URL")}
    os.environ.update(DUMMY_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/seed?a={SEED}", method="POST"),
                               timeout=10).close()
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
