"""Serverless and container compute, one scope per service and region: Lambda functions, EKS clusters,
ECS task definitions, ECR repositories and their images."""

from __future__ import annotations

import re

from cloudmap.loaders.aws.context import Ctx, Out, optional, pages, tag_dict
from cloudmap.loaders.aws.iam import document

from cloudmap.graph.kinds import aws as k
from cloudmap.graph.kinds.common import CONTAINER_IMAGE, RUNS_IMAGE

ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>.+)$")


# -- Lambda ----------------------------------------------------------------------------------------

def fetch_lambda(ctx: Ctx) -> dict:
    lam = ctx.client("lambda")
    functions = pages(lam, "list_functions", "Functions")
    for fn in functions:
        url = optional(lam.get_function_url_config, "ResourceNotFoundException", FunctionName=fn["FunctionName"])
        fn["_url"] = url or {}
        fn["_tags"] = lam.list_tags(Resource=fn["FunctionArn"]).get("Tags", {})
        if fn.get("PackageType") == "Image":
            fn["_image"] = lam.get_function(FunctionName=fn["FunctionName"]).get("Code", {}).get("ImageUri")
    return {"functions": functions}


def transform_lambda(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for fn in raw["functions"]:
        arn = fn["FunctionArn"]
        url = fn.get("_url") or {}
        vpc = fn.get("VpcConfig") or {}
        out.asset(k.LAMBDA, arn, fn["FunctionName"], fn.get("_tags"), runtime=fn.get("Runtime"),
                  handler=fn.get("Handler"), package_type=fn.get("PackageType"), image_uri=fn.get("_image"),
                  role_arn=fn.get("Role"), has_url=bool(url.get("FunctionUrl")), function_url=url.get("FunctionUrl"),
                  url_auth_type=url.get("AuthType"), public=bool(url) and url.get("AuthType") == "NONE",
                  vpc_id=vpc.get("VpcId") or None)
        out.rel(k.USES_IDENTITY, arn, fn.get("Role"), via="lambda-role")
        out.placed(arn, vpc.get("SubnetIds", []), vpc.get("SecurityGroupIds", []))
    return out


# -- EKS -------------------------------------------------------------------------------------------

def fetch_eks(ctx: Ctx) -> dict:
    eks = ctx.client("eks")
    names = pages(eks, "list_clusters", "clusters")
    return {"clusters": [eks.describe_cluster(name=name)["cluster"] for name in names]}


def transform_eks(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for cl in raw["clusters"]:
        vpc = cl.get("resourcesVpcConfig") or {}
        public = bool(vpc.get("endpointPublicAccess", True))
        out.asset(k.EKS_CLUSTER, cl["arn"], cl["name"], cl.get("tags"), endpoint=cl.get("endpoint"),
                  endpoint_public=public, endpoint_private=bool(vpc.get("endpointPrivateAccess")),
                  public_cidrs=(vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]) if public else [],
                  version=cl.get("version"), status=cl.get("status"), role_arn=cl.get("roleArn"))
        out.rel(k.USES_IDENTITY, cl["arn"], cl.get("roleArn"), via="cluster-role")
        out.placed(cl["arn"], vpc.get("subnetIds", []), [*vpc.get("securityGroupIds", []), vpc.get("clusterSecurityGroupId")])
    return out


# -- ECS -------------------------------------------------------------------------------------------

def parse_image(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference such as repo:tag or host/repo@sha256:..."""
    repo, _, digest = image.partition("@")
    tag = None
    if ":" in repo.rsplit("/", 1)[-1]:
        repo, tag = repo.rsplit(":", 1)
    return repo, (tag if tag or digest else "latest"), digest or None


def fetch_ecs(ctx: Ctx) -> dict:
    ecs = ctx.client("ecs")
    task_defs = []
    for family in pages(ecs, "list_task_definition_families", "families", status="ACTIVE"):
        resp = ecs.describe_task_definition(taskDefinition=family, include=["TAGS"])
        task_defs.append({**resp["taskDefinition"], "_tags": resp.get("tags", [])})
    # Images in this account's ECR by tag: resolve to the digest, the id the ECR scope writes.
    digests = {}
    for td in task_defs:
        for container in td.get("containerDefinitions", []):
            repo, tag, digest = parse_image(container.get("image", ""))
            match = ECR_HOST.match(repo)
            if digest or not match or match["account"] != ctx.account_id or match["region"] != ctx.region:
                continue
            resp = optional(ctx.client("ecr").describe_images, "ImageNotFoundException", "RepositoryNotFoundException",
                            repositoryName=match["repo"], imageIds=[{"imageTag": tag}])
            details = (resp or {}).get("imageDetails", [])
            if details:
                digests[container["image"]] = details[0]["imageDigest"]
    return {"task_definitions": task_defs, "ecr_digests": digests}


def transform_ecs(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for td in raw["task_definitions"]:
        arn = td["taskDefinitionArn"]
        images = [c["image"] for c in td.get("containerDefinitions", []) if c.get("image")]
        out.asset(k.ECS_TASK_DEFINITION, arn, f"{td['family']}:{td.get('revision')}", tag_dict(td.get("_tags")),
                  family=td["family"], revision=td.get("revision"), status=td.get("status"),
                  network_mode=td.get("networkMode"), task_role_arn=td.get("taskRoleArn"),
                  execution_role_arn=td.get("executionRoleArn"), images=images)
        out.rel(k.USES_IDENTITY, arn, td.get("taskRoleArn"), via="task-role")
        if td.get("executionRoleArn") != td.get("taskRoleArn"):
            out.rel(k.USES_IDENTITY, arn, td.get("executionRoleArn"), via="execution-role")
        for image in images:
            repo, tag, digest = parse_image(image)
            image_id = raw["ecr_digests"].get(image) or digest
            if not image_id:  # not in this account's ECR: the image as referenced
                image_id = f"{repo}:{tag}"
                out.asset(CONTAINER_IMAGE, image_id, image_id, in_account=False, repository=repo,
                          tags_list=[image_id], registry=repo.split("/")[0] if "." in repo.split("/")[0] else None)
            out.rel(RUNS_IMAGE, arn, image_id)
    return out


# -- ECR -------------------------------------------------------------------------------------------

def fetch_ecr(ctx: Ctx) -> dict:
    ecr = ctx.client("ecr")
    repos = pages(ecr, "describe_repositories", "repositories")
    for repo in repos:
        policy = optional(ecr.get_repository_policy, "RepositoryPolicyNotFoundException",
                          repositoryName=repo["repositoryName"])
        repo["_policy"] = (policy or {}).get("policyText")
        repo["_tags"] = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags", [])
        repo["_images"] = pages(ecr, "describe_images", "imageDetails", repositoryName=repo["repositoryName"])
    return {"repositories": repos}


def transform_ecr(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for repo in raw["repositories"]:
        arn = repo["repositoryArn"]
        out.asset(k.ECR_REPOSITORY, arn, repo["repositoryName"], tag_dict(repo.get("_tags")),
                  uri=repo.get("repositoryUri"), tag_mutability=repo.get("imageTagMutability"),
                  scan_on_push=(repo.get("imageScanningConfiguration") or {}).get("scanOnPush", False),
                  resource_policy=document(repo.get("_policy")))
        for image in repo.get("_images", []):
            digest = image["imageDigest"]
            uri = repo.get("repositoryUri", repo["repositoryName"])
            out.asset(CONTAINER_IMAGE, digest, f"{repo['repositoryName']}@{digest[:19]}", in_account=False,
                      digest=digest, repository=uri, tags_list=[f"{uri}:{t}" for t in image.get("imageTags", [])],
                      registry=uri.split("/")[0])
            out.rel(k.REPO_CONTAINS_IMAGE, arn, digest)
    return out
