"""The AWS loader: boto3 → transform → the shared write path, one Sync per account.

Every service is a get → transform pair (``fetch(ctx) -> raw``, ``transform(raw, ctx) -> Out``) run under
its own scope ``aws/<account>/<region|global>/<service>``. A scope whose fetch fails (AccessDenied,
throttling, an unreachable endpoint) is recorded as failed on the Sync and keeps its earlier data; a
service that is not enabled (no Organization, Macie off) is skipped with a warning.

Scopes are fetched concurrently, a bounded pool per account (``max_workers``; the CLI's ``--max-workers``),
and written one after another from the loading thread, in a fixed order. The order matters only for
relationships that cross scopes: IAM first (instances and functions point at roles), KMS before the data
stores that point at keys, S3 after the regions (buckets point at keys), and the security signals last
(findings point at instances, images and buckets). Throttling answers are retried by botocore (adaptive
mode) and counted in the summary's ``throttled``."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import boto3
from cloudmap.loaders.aws import account, compute, configuration, data, deploy, ec2, elb, iam, jobs, signals
from cloudmap.loaders.aws.context import GLOBAL, Ctx, FetchStats, Out, Skipped
from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.kit.link import link

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync


@dataclass(frozen=True)
class Service:
    name: str
    fetch: Callable[[Ctx], dict]
    transform: Callable[[dict, Ctx], Out]


GLOBAL_FIRST = (Service("s3control", account.fetch_public_access_block, account.transform_public_access_block),
                Service("iam", iam.fetch, iam.transform),
                Service("organizations", iam.fetch_scps, iam.transform_scps))
REGIONAL = (Service("ec2", ec2.fetch, ec2.transform),
            Service("ec2-user-data", configuration.fetch_user_data, configuration.transform_user_data),
            Service("ssm", configuration.fetch_ssm, configuration.transform_ssm),
            Service("elasticbeanstalk", configuration.fetch_beanstalk, configuration.transform_beanstalk),
            Service("kms", data.fetch_kms, data.transform_kms),
            Service("lambda", compute.fetch_lambda, compute.transform_lambda),
            Service("eks", compute.fetch_eks, compute.transform_eks),
            Service("ecr", compute.fetch_ecr, compute.transform_ecr),
            Service("ecs", compute.fetch_ecs, compute.transform_ecs),
            Service("elb", elb.fetch_classic, elb.transform_classic),
            Service("elbv2", elb.fetch_v2, elb.transform_v2),
            Service("rds", data.fetch_rds, data.transform_rds),
            Service("dynamodb", data.fetch_dynamodb, data.transform_dynamodb),
            Service("secretsmanager", data.fetch_secrets, data.transform_secrets),
            # resources with roles of their own (what the existing-resource escalation methods use)
            Service("cloudformation", deploy.fetch_cloudformation, deploy.transform_cloudformation),
            Service("codebuild", deploy.fetch_codebuild, deploy.transform_codebuild),
            Service("ec2-launch-templates", deploy.fetch_launch_templates, deploy.transform_launch_templates),
            Service("apprunner", deploy.fetch_apprunner, deploy.transform_apprunner),
            Service("glue", jobs.fetch_glue, jobs.transform_glue),
            Service("sagemaker", jobs.fetch_sagemaker, jobs.transform_sagemaker),
            Service("ecs-runtime", jobs.fetch_ecs_runtime, jobs.transform_ecs_runtime),
            Service("bedrock-agentcore", jobs.fetch_code_interpreters, jobs.transform_code_interpreters))
GLOBAL_AFTER = (Service("s3", data.fetch_s3, data.transform_s3),)
SIGNALS = (Service("inspector2", signals.fetch_inspector, signals.transform_inspector),
           Service("macie2", signals.fetch_macie, signals.transform_macie))


def scope_count(regions: list[str]) -> int:
    return 1 + len(GLOBAL_FIRST) + len(GLOBAL_AFTER) + len(regions) * (len(REGIONAL) + len(SIGNALS))


def enabled_regions(session: boto3.Session) -> list[str]:
    """The regions this account has enabled (ec2.describe_regions answers only those by default)."""
    client = session.client("ec2", region_name=session.region_name or "us-east-1")
    return sorted(r["RegionName"] for r in client.describe_regions()["Regions"])


def assume_role(session: boto3.Session, role_arn: str) -> boto3.Session:
    """A session for another account through STS AssumeRole (credentials stay in memory)."""
    creds = session.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="cloudmap")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=session.region_name)


DEFAULT_MAX_WORKERS = 8  # concurrent API calls per account: well under the per-account rate limits of AWS


def load(graph: Graph, session: boto3.Session, regions: list[str] | None = None,
         progress: Callable[[str], None] | None = None, max_workers: int = DEFAULT_MAX_WORKERS) -> LoadSummary:
    """Load the session's account; STS errors (bad credentials) raise before anything is written.

    Up to ``max_workers`` scopes (regions × services) are fetched and transformed at once; their writes
    stay in this thread and in the order above, so the graph is the one a serial load writes."""
    identity = session.client("sts").get_caller_identity()
    account_id, partition = identity["Account"], identity["Arn"].split(":")[1]
    regions = list(regions or enabled_regions(session))
    stats = FetchStats()
    with Sync(graph, provider="aws", source=f"aws {account_id}") as sync:
        workers = max(1, max_workers)
        # Scopes run in one pool; the per-resource calls inside a scope in another, so that a scope never
        # waits for a thread its own pool would have to give (at most 2 × max_workers calls in flight).
        calls = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aws-call") if workers > 1 else None
        base = Ctx(session, account_id, GLOBAL, partition, stats, calls)
        contexts = {region: Ctx(session, account_id, region, partition, stats, calls) for region in regions}
        plan = [(base, Service("account", account.fetch, lambda raw, ctx: account.transform(raw, ctx, regions))),
                *((base, service) for service in GLOBAL_FIRST),
                *((contexts[region], service) for region in regions for service in REGIONAL),
                *((base, service) for service in GLOBAL_AFTER),
                *((contexts[region], service) for region in regions for service in SIGNALS)]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aws-fetch") as pool:
            fetched = [pool.submit(get, ctx, service) for ctx, service in plan]  # started in plan order
            try:
                for (ctx, service), future in zip(plan, fetched, strict=True):
                    write_scope(sync, ctx, service, future.result(), progress)
            finally:  # a failed write (Neo4j) ends the sync: what has not started yet never starts
                for future in fetched:
                    future.cancel()
                if calls is not None:
                    calls.shutdown(cancel_futures=True)
        link(sync)
    return LoadSummary.of(sync, throttled=stats.throttled, max_workers=workers)


@dataclass
class Fetched:
    """One scope's fetch and transform: its output, or why it has none."""
    out: Out | None = None
    skipped: str | None = None
    failed: str | None = None


def get(ctx: Ctx, service: Service) -> Fetched:
    """Fetch and transform one service in one scope (in a worker thread: no graph access here)."""
    try:
        raw = service.fetch(ctx)
        out = service.transform(raw, ctx)
        configuration.extract(service.name, raw, ctx, out)   # credentials the raw answer holds
    except Skipped as exc:
        return Fetched(skipped=str(exc))
    except Exception as exc:  # one service failing is its scope failing; the others go on
        return Fetched(failed=f"{type(exc).__name__}: {exc}")
    return Fetched(out=out)


def write_scope(sync: Sync, ctx: Ctx, service: Service, fetched: Fetched,
                progress: Callable[[str], None] | None = None) -> None:
    """Write one scope's output, or record it as skipped (a warning) or failed (its earlier data is kept)."""
    name = f"aws/{ctx.account_id}/{ctx.region}/{service.name}"
    if progress:
        progress(name)
    if fetched.skipped is not None:
        sync.warn(f"{name}: skipped, {fetched.skipped}")
    elif fetched.failed is not None:
        sync.scope_failed(name, fetched.failed)
    else:
        fetched.out.write(sync, name)
