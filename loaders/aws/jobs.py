"""Resources that run code as a role of their own, one scope per service and region: Glue dev
endpoints, jobs and triggers; SageMaker notebooks and running processing jobs; ECS clusters,
services and running tasks; Bedrock AgentCore code interpreters."""

from __future__ import annotations

from cloudmap.loaders.aws.context import Ctx, Out, pages, tag_dict
from cloudmap.loaders.aws.deploy import role_arn, unavailable

from cloudmap.graph.kinds import aws as k
from cloudmap.graph.kinds import aws_workloads as w

# -- Glue ------------------------------------------------------------------------------------------

def fetch_glue(ctx: Ctx) -> dict:
    glue = ctx.client("glue")
    return {"dev_endpoints": pages(glue, "get_dev_endpoints", "DevEndpoints"),
            "jobs": pages(glue, "get_jobs", "Jobs"), "triggers": pages(glue, "get_triggers", "Triggers")}


def transform_glue(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for ep in raw["dev_endpoints"]:
        arn, role = ctx.arn("glue", f"devEndpoint/{ep['EndpointName']}"), role_arn(ctx, ep.get("RoleArn"))
        out.asset(w.GLUE_DEV_ENDPOINT, arn, ep["EndpointName"], role_arn=role, status=ep.get("Status"),
                  public_address=ep.get("PublicAddress"), has_public_keys=bool(ep.get("PublicKeys") or ep.get("PublicKey")))
        out.rel(k.USES_IDENTITY, arn, role, via="glue-role")
    for job in raw["jobs"]:
        arn, role = ctx.arn("glue", f"job/{job['Name']}"), role_arn(ctx, job.get("Role"))
        command = job.get("Command") or {}
        out.asset(w.GLUE_JOB, arn, job["Name"], role_arn=role, command=command.get("Name"),
                  script_location=command.get("ScriptLocation"), glue_version=job.get("GlueVersion"))
        out.rel(k.USES_IDENTITY, arn, role, via="glue-role")
    for tr in raw["triggers"]:
        arn = ctx.arn("glue", f"trigger/{tr['Name']}")
        out.asset(w.GLUE_TRIGGER, arn, tr["Name"], trigger_type=tr.get("Type"), state=tr.get("State"),
                  schedule=tr.get("Schedule"))
        for action in tr.get("Actions") or []:
            if action.get("JobName"):
                out.rel(w.TRIGGER_STARTS, arn, ctx.arn("glue", f"job/{action['JobName']}"))
    return out


# -- SageMaker -------------------------------------------------------------------------------------

def fetch_sagemaker(ctx: Ctx) -> dict:
    sm = ctx.client("sagemaker")
    notebooks = [sm.describe_notebook_instance(NotebookInstanceName=n["NotebookInstanceName"])
                 for n in pages(sm, "list_notebook_instances", "NotebookInstances")]
    # Only running processing jobs act as their role; finished ones are history (and unbounded).
    jobs = [sm.describe_processing_job(ProcessingJobName=j["ProcessingJobName"])
            for j in pages(sm, "list_processing_jobs", "ProcessingJobSummaries", StatusEquals="InProgress")]
    return {"notebooks": notebooks, "processing_jobs": jobs}


def transform_sagemaker(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for nb in raw["notebooks"]:
        arn = nb["NotebookInstanceArn"]
        out.asset(w.SAGEMAKER_NOTEBOOK, arn, nb["NotebookInstanceName"], role_arn=nb.get("RoleArn"),
                  status=nb.get("NotebookInstanceStatus"), instance_type=nb.get("InstanceType"),
                  direct_internet_access=nb.get("DirectInternetAccess", "Enabled") == "Enabled",
                  root_access=nb.get("RootAccess", "Enabled") == "Enabled",
                  lifecycle_config=nb.get("NotebookInstanceLifecycleConfigName"))
        out.rel(k.USES_IDENTITY, arn, nb.get("RoleArn"), via="execution-role")
        out.placed(arn, [nb.get("SubnetId")], nb.get("SecurityGroups") or [])
    for job in raw["processing_jobs"]:
        arn = job["ProcessingJobArn"]
        out.asset(w.SAGEMAKER_PROCESSING_JOB, arn, job["ProcessingJobName"], role_arn=job.get("RoleArn"),
                  status=job.get("ProcessingJobStatus"), image_uri=(job.get("AppSpecification") or {}).get("ImageUri"))
        out.rel(k.USES_IDENTITY, arn, job.get("RoleArn"), via="execution-role")
    return out


# -- ECS clusters, services and tasks --------------------------------------------------------------

def _chunks(items: list, n: int):
    return (items[i:i + n] for i in range(0, len(items), n))


def fetch_ecs_runtime(ctx: Ctx) -> dict:
    ecs = ctx.client("ecs")
    arns = pages(ecs, "list_clusters", "clusterArns")
    clusters = [c for chunk in _chunks(arns, 100)
                for c in ecs.describe_clusters(clusters=chunk, include=["TAGS"]).get("clusters", [])]
    services, tasks = [], []
    for cl in arns:
        for chunk in _chunks(pages(ecs, "list_services", "serviceArns", cluster=cl), 10):
            services.extend(ecs.describe_services(cluster=cl, services=chunk, include=["TAGS"]).get("services", []))
        for chunk in _chunks(pages(ecs, "list_tasks", "taskArns", cluster=cl), 100):
            tasks.extend(ecs.describe_tasks(cluster=cl, tasks=chunk, include=["TAGS"]).get("tasks", []))
    # The task role of each task definition in use (a revision may be older than the latest one).
    in_use = {x["taskDefinition"] for x in services} | {t["taskDefinitionArn"] for t in tasks}
    roles = {arn: ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"].get("taskRoleArn")
             for arn in sorted(in_use)}
    return {"clusters": clusters, "services": services, "tasks": tasks, "task_roles": roles}


def transform_ecs_runtime(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for cl in raw["clusters"]:
        out.asset(w.ECS_CLUSTER, cl["clusterArn"], cl.get("clusterName"), tag_dict(cl.get("tags")),
                  status=cl.get("status"), running_tasks=cl.get("runningTasksCount"),
                  active_services=cl.get("activeServicesCount"),
                  container_instances=cl.get("registeredContainerInstancesCount"))
    for svc in raw["services"]:
        arn, td = svc["serviceArn"], svc.get("taskDefinition")
        role = raw["task_roles"].get(td)
        out.asset(w.ECS_SERVICE, arn, svc.get("serviceName"), tag_dict(svc.get("tags")), role_arn=role,
                  status=svc.get("status"), launch_type=svc.get("launchType"), desired_count=svc.get("desiredCount"),
                  task_definition_arn=td, cluster_arn=svc.get("clusterArn"))
        _runs(out, arn, svc.get("clusterArn"), td, role)
    for task in raw["tasks"]:
        arn, td = task["taskArn"], task.get("taskDefinitionArn")
        role = (task.get("overrides") or {}).get("taskRoleArn") or raw["task_roles"].get(td)
        out.asset(w.ECS_TASK, arn, arn.rsplit("/", 1)[-1], tag_dict(task.get("tags")), role_arn=role,
                  last_status=task.get("lastStatus"), launch_type=task.get("launchType"), task_definition_arn=td,
                  cluster_arn=task.get("clusterArn"), execute_command_enabled=bool(task.get("enableExecuteCommand")))
        _runs(out, arn, task.get("clusterArn"), td, role)
    return out


def _runs(out: Out, arn: str, cluster: str | None, task_definition: str | None, role: str | None) -> None:
    out.rel(w.SERVICE_IN_CLUSTER, cluster, arn)
    out.rel(w.RUNS_TASK_DEFINITION, arn, task_definition)
    out.rel(k.USES_IDENTITY, arn, role, via="task-role")


# -- Bedrock AgentCore code interpreters -----------------------------------------------------------

def fetch_code_interpreters(ctx: Ctx) -> dict:
    client = ctx.client("bedrock-agentcore-control")
    try:
        summaries = pages(client, "list_code_interpreters", "codeInterpreterSummaries")
    except Exception as exc:
        skipped = unavailable(exc, "Bedrock AgentCore")
        if skipped:
            raise skipped from None
        raise
    return {"code_interpreters": [client.get_code_interpreter(codeInterpreterId=s["codeInterpreterId"])
                                  for s in summaries]}


def transform_code_interpreters(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for ci in raw["code_interpreters"]:
        arn, role = ci["codeInterpreterArn"], ci.get("executionRoleArn")
        out.asset(w.BEDROCK_CODE_INTERPRETER, arn, ci.get("name"), role_arn=role, status=ci.get("status"),
                  network_mode=(ci.get("networkConfiguration") or {}).get("networkMode"))
        out.rel(k.USES_IDENTITY, arn, role, via="execution-role")
    return out
