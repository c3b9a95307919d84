"""Resources that deploy or build with a role of their own, one scope per service and region:
CloudFormation stacks and stack sets, CodeBuild projects, EC2 launch templates, App Runner services.

The raw answers keep what AWS returns (parameters, environment variables, user data) for the
credential detectors; the transforms write names and roles only, never values."""

from __future__ import annotations

from cloudmap.loaders.aws.context import Ctx, Out, Skipped, error_code, pages, tag_dict

from cloudmap.graph.kinds import aws as k
from cloudmap.graph.kinds import aws_workloads as w

# A regional service that this region or partition does not offer: skipped, not failed. An endpoint
# without the API answers HTTP 404 (the error code is then "404").
UNAVAILABLE = ("UnrecognizedClientException", "InvalidAction", "OptInRequired", "SubscriptionRequiredException", "404")


def unavailable(exc: BaseException, service: str) -> Skipped | None:
    """A Skipped for a service that is not offered here (no endpoint, not opted in), else None."""
    name = type(exc).__name__
    if error_code(exc) in UNAVAILABLE or name in ("EndpointConnectionError", "UnknownEndpointError",
                                                   "NotImplementedError"):
        return Skipped(f"{service} not available ({error_code(exc) or name})")
    return None


def role_arn(ctx: Ctx, value: str | None) -> str | None:
    """A role given by name or ARN (Glue, stack sets) as its ARN."""
    if not value:
        return None
    return value if value.startswith("arn:") else f"arn:{ctx.partition}:iam::{ctx.account_id}:role/{value}"


# -- CloudFormation --------------------------------------------------------------------------------

def fetch_cloudformation(ctx: Ctx) -> dict:
    cfn = ctx.client("cloudformation")
    stacks = pages(cfn, "describe_stacks", "Stacks")
    stack_sets = []
    for summary in pages(cfn, "list_stack_sets", "Summaries", Status="ACTIVE"):
        stack_sets.append(cfn.describe_stack_set(StackSetName=summary["StackSetName"])["StackSet"])
    return {"stacks": stacks, "stack_sets": stack_sets}


def transform_cloudformation(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for st in raw["stacks"]:
        arn = st["StackId"]
        out.asset(w.CLOUDFORMATION_STACK, arn, st["StackName"], tag_dict(st.get("Tags")), role_arn=st.get("RoleARN"),
                  status=st.get("StackStatus"), stack_id=arn, creation_time=st.get("CreationTime"),
                  last_updated=st.get("LastUpdatedTime"),
                  parameter_keys=[p["ParameterKey"] for p in st.get("Parameters") or []])
        out.rel(k.USES_IDENTITY, arn, st.get("RoleARN"), via="stack-role")
    for ss in raw["stack_sets"]:
        arn = ss["StackSetARN"]
        admin = ss.get("AdministrationRoleARN")
        out.asset(w.CLOUDFORMATION_STACK_SET, arn, ss["StackSetName"], tag_dict(ss.get("Tags")), role_arn=admin,
                  status=ss.get("Status"), permission_model=ss.get("PermissionModel"),
                  execution_role_name=ss.get("ExecutionRoleName"))
        out.rel(k.USES_IDENTITY, arn, admin, via="stack-set-administration-role")
    return out


# -- CodeBuild -------------------------------------------------------------------------------------

def fetch_codebuild(ctx: Ctx) -> dict:
    cb = ctx.client("codebuild")
    names = pages(cb, "list_projects", "projects")
    projects = []
    for i in range(0, len(names), 100):   # BatchGetProjects takes up to 100 names
        projects.extend(cb.batch_get_projects(names=names[i:i + 100]).get("projects", []))
    return {"projects": projects}


def transform_codebuild(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for p in raw["projects"]:
        source, env = p.get("source") or {}, p.get("environment") or {}
        out.asset(w.CODEBUILD_PROJECT, p["arn"], p["name"], tag_dict(p.get("tags")), role_arn=p.get("serviceRole"),
                  source_type=source.get("type"), source_location=source.get("location"),
                  environment_image=env.get("image"), privileged_mode=bool(env.get("privilegedMode")),
                  environment_variable_names=[v["name"] for v in env.get("environmentVariables") or []])
        out.rel(k.USES_IDENTITY, p["arn"], p.get("serviceRole"), via="service-role")
    return out


# -- EC2 launch templates --------------------------------------------------------------------------

def fetch_launch_templates(ctx: Ctx) -> dict:
    ec2 = ctx.client("ec2")
    templates = pages(ec2, "describe_launch_templates", "LaunchTemplates")
    for t in templates:
        versions = ec2.describe_launch_template_versions(LaunchTemplateId=t["LaunchTemplateId"],
                                                         Versions=["$Default"]).get("LaunchTemplateVersions", [])
        t["_data"] = versions[0].get("LaunchTemplateData", {}) if versions else {}
    return {"launch_templates": templates}


def profile_arn(ctx: Ctx, profile: dict) -> str | None:
    if profile.get("Arn"):
        return profile["Arn"]
    return f"arn:{ctx.partition}:iam::{ctx.account_id}:instance-profile/{profile['Name']}" if profile.get("Name") else None


def transform_launch_templates(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for t in raw["launch_templates"]:
        arn = ctx.ec2_arn("launch-template", t["LaunchTemplateId"])
        data = t.get("_data") or {}
        profile = profile_arn(ctx, data.get("IamInstanceProfile") or {})
        out.asset(w.LAUNCH_TEMPLATE, arn, t.get("LaunchTemplateName"), tag_dict(t.get("Tags")),
                  template_id=t["LaunchTemplateId"], default_version=t.get("DefaultVersionNumber"),
                  latest_version=t.get("LatestVersionNumber"), instance_profile=profile,
                  image_id=data.get("ImageId"), has_user_data=bool(data.get("UserData")))
        out.rel(w.USES_PROFILE, arn, profile)
    return out


# -- App Runner ------------------------------------------------------------------------------------

def fetch_apprunner(ctx: Ctx) -> dict:
    ar = ctx.client("apprunner")
    try:
        arns, token = [], None
        while True:   # ListServices has no paginator
            resp = ar.list_services(**({"NextToken": token} if token else {}))
            arns.extend(s["ServiceArn"] for s in resp.get("ServiceSummaryList", []))
            token = resp.get("NextToken")
            if not token:
                break
    except Exception as exc:
        skipped = unavailable(exc, "App Runner")
        if skipped:
            raise skipped from None
        raise
    services = []
    for arn in arns:
        svc = ar.describe_service(ServiceArn=arn)["Service"]
        svc["_tags"] = ar.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
        services.append(svc)
    return {"services": services}


def transform_apprunner(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for s in raw["services"]:
        role = (s.get("InstanceConfiguration") or {}).get("InstanceRoleArn")
        auth = ((s.get("SourceConfiguration") or {}).get("AuthenticationConfiguration") or {})
        out.asset(w.APP_RUNNER_SERVICE, s["ServiceArn"], s.get("ServiceName"), tag_dict(s.get("_tags")),
                  role_arn=role, status=s.get("Status"), service_url=s.get("ServiceUrl"),
                  access_role_arn=auth.get("AccessRoleArn"))
        out.rel(k.USES_IDENTITY, s["ServiceArn"], role, via="instance-role")
    return out
