"""Credentials in AWS configuration: what each service's configuration holds in plain text.

Two ways in. Services whose answers the loader already fetches (Lambda, ECS task definitions,
CloudFormation, CodeBuild, launch templates) pass their raw answer to :data:`EXTRACTORS`, which adds
the credentials to the same scope. Configuration nobody else reads has its own service here: EC2
user data, SSM parameters (String and StringList only: SecureString values are never asked for) and
Elastic Beanstalk option settings. Values are scanned in memory and dropped; only kinds, places and
fingerprints are written."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from cloudmap.loaders.aws.context import Ctx, Out, Skipped, error_code, pages, tag_dict
from cloudmap.loaders.credentials.detect import scan_settings, scan_text
from cloudmap.loaders.credentials.rows import add_credentials

from cloudmap.graph.kinds.credentials import BEANSTALK_ENVIRONMENT, SSM_PARAMETER

NO_ECHO = "****"   # what DescribeStacks answers for a NoEcho parameter


def _user_data(value: str | None) -> str:
    """User data as text: AWS answers it base64-encoded, and it is often encoded twice (a tool
    encoded it before an SDK that encodes again)."""
    text = value or ""
    for _ in range(2):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            break
    return text


# -- from answers other services fetched ------------------------------------------------------------

def lambda_environment(raw: dict, ctx: Ctx, out: Out) -> None:
    for fn in raw["functions"]:
        env = (fn.get("Environment") or {}).get("Variables") or {}
        add_credentials(out, fn["FunctionArn"], scan_settings(env), "lambda-environment")


def ecs_environment(raw: dict, ctx: Ctx, out: Out) -> None:
    for td in raw["task_definitions"]:
        for c in td.get("containerDefinitions", []):
            env = {e["name"]: e.get("value") for e in c.get("environment") or [] if e.get("name")}
            add_credentials(out, td["taskDefinitionArn"], scan_settings(env, f"{c.get('name')}/"),
                            "ecs-container-environment")


def cloudformation_parameters(raw: dict, ctx: Ctx, out: Out) -> None:
    for st in raw["stacks"]:
        params = {f"parameter {p['ParameterKey']}": p.get("ParameterValue") for p in st.get("Parameters") or []
                  if p.get("ParameterValue") not in (None, NO_ECHO)}
        outputs = {f"output {o['OutputKey']}": o.get("OutputValue") for o in st.get("Outputs") or []}
        add_credentials(out, st["StackId"], scan_settings({**params, **outputs}), "cloudformation-stack")


def codebuild_environment(raw: dict, ctx: Ctx, out: Out) -> None:
    for p in raw["projects"]:
        env = {v["name"]: v.get("value") for v in (p.get("environment") or {}).get("environmentVariables") or []
               if v.get("type", "PLAINTEXT") == "PLAINTEXT"}   # PARAMETER_STORE / SECRETS_MANAGER are references
        add_credentials(out, p["arn"], scan_settings(env), "codebuild-environment")


def launch_template_user_data(raw: dict, ctx: Ctx, out: Out) -> None:
    for t in raw["launch_templates"]:
        text = _user_data((t.get("_data") or {}).get("UserData"))
        add_credentials(out, ctx.ec2_arn("launch-template", t["LaunchTemplateId"]), scan_text(text, "user data "),
                        "launch-template-user-data")


EXTRACTORS: dict[str, Callable[[dict, Ctx, Out], None]] = {
    "lambda": lambda_environment,
    "ecs": ecs_environment,
    "cloudformation": cloudformation_parameters,
    "codebuild": codebuild_environment,
    "ec2-launch-templates": launch_template_user_data,
}


def extract(service: str, raw: dict, ctx: Ctx, out: Out) -> None:
    """Add the credentials in a service's raw answer to its output (services without configuration: nothing)."""
    if service in EXTRACTORS:
        EXTRACTORS[service](raw, ctx, out)


# -- EC2 user data ----------------------------------------------------------------------------------

def fetch_user_data(ctx: Ctx) -> dict:
    ec2 = ctx.client("ec2")
    ids = [i["InstanceId"] for i in ctx.instances() if (i.get("State") or {}).get("Name") != "terminated"]
    def user_data(iid: str) -> str | None:
        return (ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData").get("UserData") or {}).get("Value")
    return {"user_data": dict(zip(ids, ctx.map(user_data, ids), strict=True))}


def transform_user_data(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for iid, value in raw["user_data"].items():
        add_credentials(out, ctx.ec2_arn("instance", iid), scan_text(_user_data(value), "user data "), "user-data")
    return out


# -- SSM parameters ---------------------------------------------------------------------------------

def fetch_ssm(ctx: Ctx) -> dict:
    ssm = ctx.client("ssm")
    meta = pages(ssm, "describe_parameters", "Parameters")
    plain = [p["Name"] for p in meta if p.get("Type") in ("String", "StringList")]
    values = {}
    for i in range(0, len(plain), 10):   # GetParameters takes up to 10 names; never WithDecryption
        for p in ssm.get_parameters(Names=plain[i:i + 10], WithDecryption=False).get("Parameters", []):
            values[p["Name"]] = p.get("Value")
    return {"parameters": meta, "values": values}


def transform_ssm(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for p in raw["parameters"]:
        name = p["Name"]
        arn = p.get("ARN") or ctx.arn("ssm", f"parameter{name if name.startswith('/') else '/' + name}")
        out.asset(SSM_PARAMETER, arn, name, parameter_type=p.get("Type"), version=p.get("Version"),
                  last_modified=p.get("LastModifiedDate"))
        value = raw["values"].get(name)
        if value:
            found = scan_text(value, f"{name} ") if "\n" in value else scan_settings({name: value})
            add_credentials(out, arn, found, "ssm-parameter")
    return out


# -- Elastic Beanstalk ------------------------------------------------------------------------------

def fetch_beanstalk(ctx: Ctx) -> dict:
    eb = ctx.client("elasticbeanstalk")
    envs = pages(eb, "describe_environments", "Environments") if eb.can_paginate("describe_environments") \
        else eb.describe_environments().get("Environments", [])
    for env in envs:
        try:
            settings = eb.describe_configuration_settings(ApplicationName=env["ApplicationName"],
                                                          EnvironmentName=env["EnvironmentName"])
        except Exception as exc:
            if error_code(exc) in ("NotImplemented", "InvalidAction") or type(exc).__name__ == "NotImplementedError":
                raise Skipped(f"DescribeConfigurationSettings not available ({error_code(exc) or exc})") from None
            raise
        env["_options"] = [o for s in settings.get("ConfigurationSettings", []) for o in s.get("OptionSettings", [])]
        env["_tags"] = eb.list_tags_for_resource(ResourceArn=env["EnvironmentArn"]).get("ResourceTags", [])
    return {"environments": envs}


def transform_beanstalk(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for env in raw["environments"]:
        arn = env["EnvironmentArn"]
        out.asset(BEANSTALK_ENVIRONMENT, arn, env["EnvironmentName"], tag_dict(env.get("_tags")),
                  application=env.get("ApplicationName"), status=env.get("Status"), health=env.get("Health"),
                  cname=env.get("CNAME"), endpoint_url=env.get("EndpointURL"),
                  solution_stack=env.get("SolutionStackName"))
        options = {f"{o.get('Namespace')}:{o.get('OptionName')}": o.get("Value") for o in env.get("_options", [])
                   if o.get("Value")}
        add_credentials(out, arn, scan_settings(options), "beanstalk-option-settings")
    return out

