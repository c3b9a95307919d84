"""What every AWS service module shares: the account/region context, boto3 helpers, the transform output."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.retries.standard import RetryEventAdapter, ThrottlingErrorDetector
from cloudmap.loaders.kit import Rows

from cloudmap.graph.kinds import aws as k
from cloudmap.graph.model import NodeKind

GLOBAL = "global"


def boto_config() -> Config:
    """Throttling, 5xx answers and dropped connections are retried with backoff, 5 attempts in all unless
    AWS_MAX_ATTEMPTS says otherwise (botocore reads it, as the AWS CLI does, when the config leaves it
    out). The retry mode is botocore's adaptive one (AWS_RETRY_MODE may name another): after a throttling
    answer the client also slows its own request rate, which is what the parallel fetch needs."""
    retries: dict = {"mode": os.environ.get("AWS_RETRY_MODE") or "adaptive"}
    if not os.environ.get("AWS_MAX_ATTEMPTS"):
        retries["max_attempts"] = 5
    return Config(retries=retries, user_agent_extra="cloudmap", max_pool_connections=16)


class FetchStats:
    """What one account's fetch met on the way, counted across its threads: throttling answers (each
    one retried by botocore while attempts remain)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.throttled = 0
        self._detector = ThrottlingErrorDetector(RetryEventAdapter())

    def on_retry_check(self, **kwargs) -> None:
        """botocore ``needs-retry`` hook: it runs after every attempt, before the retry handler decides."""
        if kwargs.get("response") is not None and self._detector.is_throttling_error(**kwargs):
            with self._lock:
                self.throttled += 1


# A boto3 Session is not thread-safe, its clients are: clients are made one at a time, then shared.
_CLIENT_LOCK = threading.Lock()

# Error codes that mean "this service is not enabled / not available here": the scope is skipped
# with a warning and its earlier data is kept, instead of counting as a failure.
NOT_ENABLED_CODES = {"AWSOrganizationsNotInUseException", "OptInRequired", "SubscriptionRequiredException",
                     "NotImplemented", "InvalidAction", "UnrecognizedClientException"}


# Host names under these are AWS's own endpoints; any other is one the user configured (an emulator, a proxy).
AWS_DNS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".c2s.ic.gov", ".sc2s.sgov.gov")


class Skipped(Exception):
    """A service that is not enabled or not readable in a way that is not an error (e.g. no Organization)."""


@dataclass
class Ctx:
    session: boto3.Session
    account_id: str
    region: str                     # a region name, or "global"
    partition: str = "aws"
    stats: FetchStats = field(default_factory=FetchStats, repr=False)
    calls: Executor | None = field(default=None, repr=False)  # the account's pool for per-resource calls
    _clients: dict = field(default_factory=dict, repr=False)
    _shared: dict = field(default_factory=dict, repr=False)
    _shared_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def once(self, name: str, fetch: Callable[[], Any]) -> Any:
        """``fetch()``'s answer, fetched once per context for every scope that asks under ``name`` (EC2's
        instance list: the network scope and the user-data scope both need it, and it is the costliest list
        of a large account). The first caller fetches, the others wait for it; an error reaches each."""
        with self._shared_lock:
            future, first = self._shared.get(name), name not in self._shared
            if first:
                future = self._shared[name] = Future()
        if first:
            try:
                future.set_result(fetch())
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def instances(self) -> list[dict]:
        """Every EC2 instance of the region (terminated ones included), from one DescribeInstances."""
        ec2 = self.client("ec2")
        return self.once("ec2-instances", lambda: [
            i for r in pages(ec2, "describe_instances", "Reservations") for i in r.get("Instances", [])])

    def map(self, call: Callable[[Any], Any], items: Iterable) -> list:
        """``[call(item) for item in items]``, in order, the calls run in the account's call pool when it
        has one (the per-resource describes of a scope: user data, bucket settings); the first call that
        raises raises here, as in the loop."""
        items = list(items)
        if self.calls is None or len(items) < 2:
            return [call(item) for item in items]
        return list(self.calls.map(call, items))

    def client(self, service: str):
        """The context's client for ``service`` (one per context, shared by the threads that fetch in it)."""
        with _CLIENT_LOCK:
            if service not in self._clients:
                region = (self.session.region_name or "us-east-1") if self.region == GLOBAL else self.region
                client = self.session.client(service, region_name=region, config=boto_config())
                client.meta.events.register("before-parse", check_complete)
                client.meta.events.register("needs-retry", self.stats.on_retry_check)
                host = urlsplit(client.meta.endpoint_url).netloc
                if not host.split(":")[0].endswith(AWS_DNS_SUFFIXES):
                    client.meta.events.register("before-call", keep_host(host))
                self._clients[service] = client
            return self._clients[service]

    @property
    def account_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region is None else region}:{self.account_id}:{resource}"

    def ec2_arn(self, kind: str, ident: str) -> str:
        return self.arn("ec2", f"{kind}/{ident}")


class IncompleteResponse(BotoCoreError):
    """A response that did not arrive whole: fewer bytes than its Content-Length, or a JSON body that
    does not parse. botocore would read either as an empty answer (its JSON parser turns an
    unparsable body into a bare message), which cleanup would then take for "everything is gone"."""

    fmt = "{operation}: incomplete response from AWS: {reason}"


def check_complete(response_dict: dict, operation_model, **_) -> None:
    """botocore ``before-parse`` hook on every client the loader makes, so that every fetch, present
    and future, fails rather than returning a truncated answer as a short one."""
    if (operation_model.has_streaming_output or operation_model.http.get("method") == "HEAD"
            or not 200 <= response_dict.get("status_code", 0) < 300):  # errors raise anyway
        return
    body = response_dict.get("body") or b""
    expected = (response_dict.get("headers") or {}).get("content-length")
    name = f"{operation_model.service_model.service_name}.{operation_model.name}"
    if expected is not None and expected.isdigit() and int(expected) != len(body):
        raise IncompleteResponse(operation=name, reason=f"{len(body)} of {expected} bytes (Content-Length)")
    if body and operation_model.service_model.resolved_protocol in ("json", "rest-json"):
        try:
            json.loads(body)
        except ValueError:
            raise IncompleteResponse(operation=name, reason=f"the JSON body of {len(body)} bytes does not parse") \
                from None


def keep_host(host: str) -> Callable:
    """botocore ``before-call`` hook for a configured endpoint: the endpoint rules of some services
    (s3control) put the account id in front of the host, ``123456789012.127.0.0.1:5000``, a name that
    an emulator or a proxy does not serve; the request keeps the host as configured."""
    def handler(params: dict, **_) -> None:
        parts = urlsplit(params["url"])
        if parts.netloc.endswith(f".{host}"):
            params["url"] = parts._replace(netloc=host).geturl()
    return handler


def error_code(exc: BaseException) -> str:
    return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


def optional(call: Callable, *codes: str, **kwargs) -> Any:
    """The call's response, or None when it fails with one of ``codes`` (a "not configured" answer)."""
    try:
        return call(**kwargs)
    except ClientError as exc:
        if error_code(exc) in codes:
            return None
        raise


def pages(client, operation: str, key: str, **kwargs) -> list:
    """Every item under ``key`` across all pages of a paginated operation."""
    out: list = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        out.extend(page.get(key) or [])
    return out


def tag_dict(tags: Iterable[dict] | dict | None) -> dict:
    """AWS tags ([{Key, Value}] or {key: value}) as a dict."""
    if isinstance(tags, dict):
        return dict(tags)
    return {t.get("Key", t.get("key", t.get("TagKey"))): t.get("Value", t.get("value", t.get("TagValue", "")))
            for t in tags or []}


class Out(Rows):
    """One service's rows in one scope. ``asset`` fills the fields every AWS asset carries (provider,
    account, region) and links the asset to its account."""

    def __init__(self, ctx: Ctx):
        super().__init__()
        self.ctx = ctx

    def asset(self, kind: NodeKind, ident: str, name: str | None, tags: dict | None = None,
              region: str | None = None, in_account: bool = True, **props) -> dict:
        row = super().asset(kind, ident, provider="aws", name=name, account_id=self.ctx.account_id,
                            region=self.ctx.region if region is None else region, tags=tags, **props)
        if in_account and kind is not k.ACCOUNT:
            self.rel(k.CONTAINS, self.ctx.account_arn, ident)
        return row

    def placed(self, arn: str, subnets: Iterable[str | None] = (), security_groups: Iterable[str | None] = ()) -> None:
        """A resource's network placement: the subnets it sits in, the security groups on it (ids)."""
        for subnet in {s for s in subnets if s}:
            self.rel(k.IN_SUBNET, arn, self.ctx.ec2_arn("subnet", subnet))
        for sg in {g for g in security_groups if g}:
            self.rel(k.SG_APPLIES_TO, self.ctx.ec2_arn("security-group", sg), arn)
