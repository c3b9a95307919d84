"""The AWS loader: boto3 → transform → the shared write path, one Sync per account.

Every service is a get → transform pair (``fetch(ctx) -> raw``, ``transform(raw, ctx) -> Out``) run under
its own scope ``aws/<account>/<region|global>/<service>``. A scope whose fetch fails (AccessDenied,
throttling, an unreachable endpoint) is recorded as failed on the Sync and keeps its earlier data; a
service that is not enabled (no Organization, Macie off) is skipped with a warning.

Order matters only for relationships that cross scopes: IAM first (instances and functions point at
roles), KMS before the data stores that point at keys, S3 after the regions (buckets point at keys),
and the security signals last (findings point at instances, images and buckets)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import boto3
from cloudmap.loaders.aws import account, compute, configuration, data, deploy, ec2, elb, iam, jobs, signals
from cloudmap.loaders.aws.context import GLOBAL, Ctx, Out, Skipped
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


def load(graph: Graph, session: boto3.Session, regions: list[str] | None = None,
         progress: Callable[[str], None] | None = None) -> LoadSummary:
    """Load the session's account; STS errors (bad credentials) raise before anything is written."""
    identity = session.client("sts").get_caller_identity()
    account_id, partition = identity["Account"], identity["Arn"].split(":")[1]
    regions = list(regions or enabled_regions(session))
    with Sync(graph, provider="aws", source=f"aws {account_id}") as sync:
        base = Ctx(session, account_id, GLOBAL, partition)
        run_service(sync, base, Service("account", account.fetch,
                                        lambda raw, ctx: account.transform(raw, ctx, regions)), progress)
        contexts = {region: Ctx(session, account_id, region, partition) for region in regions}
        for service in GLOBAL_FIRST:
            run_service(sync, base, service, progress)
        for region in regions:
            for service in REGIONAL:
                run_service(sync, contexts[region], service, progress)
        for service in GLOBAL_AFTER:
            run_service(sync, base, service, progress)
        for region in regions:
            for service in SIGNALS:
                run_service(sync, contexts[region], service, progress)
        link(sync)
    return LoadSummary.of(sync)


def run_service(sync: Sync, ctx: Ctx, service: Service, progress: Callable[[str], None] | None = None) -> None:
    """One service in one scope. A fetch or transform that fails marks the scope failed (its earlier data
    is kept) and the load goes on; a service that is not enabled is skipped with a warning."""
    name = f"aws/{ctx.account_id}/{ctx.region}/{service.name}"
    if progress:
        progress(name)
    try:
        raw = service.fetch(ctx)
        out = service.transform(raw, ctx)
        configuration.extract(service.name, raw, ctx, out)   # credentials the raw answer holds
    except Skipped as exc:
        sync.warn(f"{name}: skipped, {exc}")
        return
    except Exception as exc:  # one service failing is its scope failing; the others go on
        sync.scope_failed(name, f"{type(exc).__name__}: {exc}")
        return
    out.write(sync, name)
