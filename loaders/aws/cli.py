"""`cloudmap load aws`: the standard boto3 credential chain, profiles, regions, cross-account roles."""

from __future__ import annotations

import boto3
import typer
from botocore.exceptions import BotoCoreError, ClientError
from cloudmap.loaders.aws import assume_role, enabled_regions, load_account, scope_count
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from cloudmap.cli.common import Format, console, err_console, fail, info, open_graph, print_json


def load_aws(
    profile: list[str] | None = typer.Option(None, "--profile", help="AWS profile (repeatable); default: the "
                                                "standard credential chain"),
    region: list[str] | None = typer.Option(None, "--region", help="region (repeatable); default: every "
                                               "enabled region"),
    role_arn: list[str] | None = typer.Option(None, "--role-arn", help="assume this role (repeatable) and load "
                                                 "its account instead of the caller's"),
    fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
) -> None:
    """Load AWS accounts: network, compute, identity, data and security signals, one sync per account.

    Honours AWS_ENDPOINT_URL like boto3 does. A region or service that answers AccessDenied is reported
    as a failed scope (its earlier data is kept); the others go on.

    Example: cloudmap load aws --profile prod --region eu-west-1 --region us-east-1
    """
    sessions = []
    try:
        for name in profile or [None]:
            base = boto3.Session(profile_name=name)
            sessions += [assume_role(base, arn) for arn in role_arn] if role_arn else [base]
        plans = [(s, list(region) if region else enabled_regions(s)) for s in sessions]
    except (BotoCoreError, ClientError) as exc:
        fail(f"AWS credentials / STS: {exc}")
    syncs = []
    with open_graph() as graph, Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                         MofNCompleteColumn(), console=err_console, transient=True) as bar:
        for session, regions in plans:
            task = bar.add_task("aws", total=scope_count(regions))

            def step(name: str, task=task) -> None:
                bar.update(task, description=name, advance=1)
            try:
                syncs.append(load_account(graph, session, regions, progress=step))
            except (BotoCoreError, ClientError) as exc:
                fail(f"AWS credentials / STS: {exc}")
    summaries = [s.summary() for s in syncs]
    if fmt == Format.json:
        print_json(summaries)
    else:
        for s in summaries:
            console.print(f"{s['sync_id']}: {s['status']}, {s['scopes_completed']} scopes loaded, "
                          f"{sum(s['written'].values())} written, {sum(s['removed'].values())} removed, "
                          f"{s['warnings']} warnings")
            for what, count in sorted(s["written"].items()):
                console.print(f"  {what:<28} {count:>7}")
            if s["removed"]:
                console.print("  removed: " + ", ".join(f"{k} {v}" for k, v in sorted(s["removed"].items())))
    failed = [scope for s in summaries for scope in s["scopes_failed"]]
    if failed:  # still exit 0: the other scopes are loaded and the failed ones kept their data
        info(f"{len(failed)} scopes failed: " + "; ".join(e for s in summaries for e in s["errors"]))


def register(app: typer.Typer) -> None:
    app.command("aws")(load_aws)
