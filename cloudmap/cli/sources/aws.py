"""`cloudmap load aws`: the standard boto3 credential chain, profiles, regions, cross-account roles."""

from __future__ import annotations

import boto3
import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from cloudmap.cli.common import Format, err_console, fail, open_graph
from cloudmap.cli.sources import print_summary
from cloudmap.loaders import aws


def load_aws(
    profile: list[str] | None = typer.Option(None, "--profile", help="AWS profile (repeatable); default: the "
                                                "standard credential chain"),
    region: list[str] | None = typer.Option(None, "--region", help="region (repeatable); default: every "
                                               "enabled region"),
    role_arn: list[str] | None = typer.Option(None, "--role-arn", help="assume this role (repeatable) and load "
                                                 "its account instead of the caller's"),
    max_workers: int = typer.Option(aws.DEFAULT_MAX_WORKERS, "--max-workers", min=1, max=64,
                                    help="threads per account: regions × services fetched at once, and their "
                                         "per-resource calls in a second pool of this size; 1 fetches one call "
                                         "after another"),
    fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
) -> None:
    """Load AWS accounts: network, compute, identity, data and security signals, one sync per account.

    Honours AWS_ENDPOINT_URL like boto3 does. A region or service that answers AccessDenied is reported
    as a failed scope (its earlier data is kept); the others go on. Throttled calls are retried (botocore's
    adaptive mode; AWS_MAX_ATTEMPTS sets the attempts) and counted in the summary.

    Example: cloudmap load aws --profile prod --region eu-west-1 --region us-east-1
    """
    sessions = []
    try:
        for name in profile or [None]:
            base = boto3.Session(profile_name=name)
            sessions += [aws.assume_role(base, arn) for arn in role_arn] if role_arn else [base]
        plans = [(s, list(region) if region else aws.enabled_regions(s)) for s in sessions]
    except (BotoCoreError, ClientError) as exc:
        fail(f"AWS credentials / STS: {exc}")
    summaries = []
    with open_graph() as graph, Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                         MofNCompleteColumn(), console=err_console, transient=True) as bar:
        for session, regions in plans:
            task = bar.add_task("aws", total=aws.scope_count(regions))

            def step(name: str, task=task) -> None:
                bar.update(task, description=name, advance=1)
            try:
                summaries.append(aws.load(graph, session, regions, progress=step, max_workers=max_workers))
            except (BotoCoreError, ClientError) as exc:
                fail(f"AWS credentials / STS: {exc}")
    failed = [scope for s in summaries for scope in s.scopes_failed]
    suspect = [scope for s in summaries for scope in s.scopes_suspect]
    notes = ([f"{len(failed)} scopes failed{f', {len(suspect)} suspect' if suspect else ''}: "
              + "; ".join(e for s in summaries for e in s.errors)] if failed or suspect else [])
    throttled = sum(s.details.get("throttled", 0) for s in summaries)
    if throttled:
        notes.append(f"{throttled} throttled AWS answer(s), retried with backoff")
    # still exit 0 on failed scopes: the others are loaded and the failed ones kept their data
    print_summary(summaries, fmt, notes, exit_on_failure=False)


def register(app: typer.Typer) -> None:
    app.command("aws")(load_aws)
