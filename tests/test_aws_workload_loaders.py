"""Resources with roles of their own (CloudFormation, CodeBuild, launch templates, Glue, SageMaker, ECS
runtime) loaded through real boto3 calls against moto into a real Neo4j; App Runner and Bedrock
AgentCore, which moto does not serve, through their transforms on the real API shapes."""

from __future__ import annotations

import json

import boto3
import pytest
from cloudmap.loaders.aws import deploy, jobs, load
from cloudmap.loaders.aws.context import Ctx
from moto import mock_aws

from tests.helpers import moto_env

ACCOUNT, REGION = "123456789012", "us-east-1"
IAM = f"arn:aws:iam::{ACCOUNT}:"


def trust(service: str) -> str:
    return json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def estate():
    mp = moto_env(REGION)
    with mock_aws():
        s = boto3.Session(region_name=REGION)
        iam = s.client("iam")
        for name, service in (("cfn", "cloudformation.amazonaws.com"), ("build", "codebuild.amazonaws.com"),
                              ("glue", "glue.amazonaws.com"), ("nb", "sagemaker.amazonaws.com"),
                              ("task", "ecs-tasks.amazonaws.com"), ("ec2", "ec2.amazonaws.com")):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service))
        iam.create_instance_profile(InstanceProfileName="web")
        iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="ec2")
        cfn = s.client("cloudformation")
        template = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
        stack = cfn.create_stack(StackName="net", TemplateBody=template, RoleARN=IAM + "role/cfn",
                                 Tags=[{"Key": "team", "Value": "platform"}])["StackId"]
        cfn.create_stack_set(StackSetName="baseline", TemplateBody=template, AdministrationRoleARN=IAM + "role/cfn")
        s.client("codebuild").create_project(
            name="app", source={"type": "S3", "location": "bucket/src.zip"}, artifacts={"type": "NO_ARTIFACTS"},
            environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL",
                         "environmentVariables": [{"name": "DEPLOY_TOKEN", "value": "x" * 8, "type": "PLAINTEXT"}]},
            serviceRole=IAM + "role/build")
        lt = s.client("ec2").create_launch_template(LaunchTemplateName="web", LaunchTemplateData={
            "ImageId": "ami-03cf127a", "IamInstanceProfile": {"Name": "web"}})["LaunchTemplate"]["LaunchTemplateId"]
        glue = s.client("glue")
        glue.create_dev_endpoint(EndpointName="dev", RoleArn=IAM + "role/glue", PublicKey="ssh-rsa AAAA test")
        glue.create_job(Name="etl", Role="glue", Command={"Name": "glueetl", "ScriptLocation": "s3://b/etl.py"})
        glue.create_trigger(Name="nightly", Type="SCHEDULED", Schedule="cron(0 2 * * ? *)", Actions=[{"JobName": "etl"}])
        sm = s.client("sagemaker")
        sm.create_notebook_instance(NotebookInstanceName="research", InstanceType="ml.t3.medium", RoleArn=IAM + "role/nb")
        sm.create_processing_job(  # moto marks it Completed at once: finished jobs are not loaded
            ProcessingJobName="done", RoleArn=IAM + "role/nb", AppSpecification={"ImageUri": "img"},
            ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}})
        ecs = s.client("ecs")
        cluster = ecs.create_cluster(clusterName="prod")["cluster"]["clusterArn"]
        td = ecs.register_task_definition(family="api", taskRoleArn=IAM + "role/task", containerDefinitions=[
            {"name": "api", "image": "nginx", "memory": 128}])["taskDefinition"]["taskDefinitionArn"]
        service = ecs.create_service(cluster="prod", serviceName="api", taskDefinition=td, desiredCount=1)
        ec2 = s.client("ec2")
        instance = ec2.run_instances(ImageId="ami-03cf127a", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        doc = json.dumps({"instanceId": instance})  # an ECS container instance so that RunTask can place a task
        ecs.register_container_instance(cluster="prod", instanceIdentityDocument=doc)
        task = ecs.run_task(cluster="prod", taskDefinition=td, count=1, enableExecuteCommand=True)["tasks"][0]["taskArn"]
        yield s, {"stack": stack, "lt": f"arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/{lt}", "cluster": cluster,
                  "td": td, "service": service["service"]["serviceArn"], "task": task}
    mp.undo()


@pytest.fixture(scope="module")
def loaded(estate, _session_graph):
    from tests.conftest import wipe
    session, ids = estate
    wipe(_session_graph)
    sync = load(_session_graph, session, [REGION])
    yield _session_graph, ids, sync
    wipe(_session_graph)


def uses(graph, kind: str) -> set[tuple]:
    return {(r["name"], r["role"], r["via"]) for r in graph.read(
        f"MATCH (x:`{kind}`)-[u:USES_IDENTITY]->(r:Role) RETURN x.name AS name, r.id AS role, u.via AS via")}


def test_stacks_builds_and_templates_with_their_roles(loaded):
    graph, ids, sync = loaded
    assert sync.status == "success", sync.errors
    assert uses(graph, "AWSCloudFormationStack") == {("net", IAM + "role/cfn", "stack-role")}
    stack = graph.read("MATCH (s:Deployment:AWSCloudFormationStack) RETURN s", )[0]["s"]
    assert stack["id"] == ids["stack"] and "team=platform" in stack["tags"]
    assert uses(graph, "AWSCloudFormationStackSet") == {("baseline", IAM + "role/cfn", "stack-set-administration-role")}
    assert uses(graph, "AWSCodeBuildProject") == {("app", IAM + "role/build", "service-role")}
    project = graph.read("MATCH (p:Workload:AWSCodeBuildProject) RETURN p")[0]["p"]
    assert project["environment_variable_names"] == ["DEPLOY_TOKEN"]
    assert "x" * 8 not in json.dumps(dict(project), default=str)   # names only, never values
    rows = graph.read("MATCH (t:AWSLaunchTemplate)-[:USES_PROFILE]->(p:InstanceProfile)-[:HAS_ROLE]->(r:Role) "
                      "RETURN t.id AS id, r.id AS role")
    assert rows == [{"id": ids["lt"], "role": IAM + "role/ec2"}]


def test_glue_sagemaker_and_ecs_with_their_roles(loaded):
    graph, ids, _ = loaded
    assert uses(graph, "AWSGlueDevEndpoint") == {("dev", IAM + "role/glue", "glue-role")}
    assert uses(graph, "AWSGlueJob") == {("etl", IAM + "role/glue", "glue-role")}   # a role name, as an ARN
    assert graph.read("MATCH (:AWSGlueTrigger {name: 'nightly'})-[:STARTS]->(j:AWSGlueJob) RETURN j.name AS n") == [
        {"n": "etl"}]
    assert uses(graph, "AWSSageMakerNotebook") == {("research", IAM + "role/nb", "execution-role")}
    assert graph.read("MATCH (j:AWSSageMakerProcessingJob) RETURN j.id AS id") == []
    assert uses(graph, "AWSECSService") == {("api", IAM + "role/task", "task-role")}
    rows = graph.read("MATCH (c:AWSECSCluster)-[:CONTAINS]->(t:AWSECSTask)-[:RUNS_TASK_DEFINITION]->(d) "
                      "MATCH (t)-[:USES_IDENTITY]->(r:Role) RETURN c.id AS c, t.id AS t, d.id AS d, r.id AS r")
    assert rows == [{"c": ids["cluster"], "t": ids["task"], "d": ids["td"], "r": IAM + "role/task"}]


def test_services_moto_does_not_serve_are_skipped_not_failed(loaded):
    _, _, sync = loaded
    skipped = " ".join(sync.warnings)
    assert f"aws/{ACCOUNT}/{REGION}/apprunner: skipped" in skipped
    assert not any("apprunner" in s for s in sync.scopes_completed)


def test_app_runner_and_code_interpreter_transforms_on_the_api_shape():
    ctx = Ctx(None, ACCOUNT, REGION)
    svc_arn = f"arn:aws:apprunner:{REGION}:{ACCOUNT}:service/web/0123"
    out = deploy.transform_apprunner({"services": [{  # DescribeService's Service
        "ServiceName": "web", "ServiceArn": svc_arn, "ServiceUrl": "x.awsapprunner.com", "Status": "RUNNING",
        "InstanceConfiguration": {"Cpu": "1 vCPU", "Memory": "2 GB", "InstanceRoleArn": IAM + "role/web"},
        "SourceConfiguration": {"AuthenticationConfiguration": {"AccessRoleArn": IAM + "role/ecr-access"}},
        "_tags": [{"Key": "env", "Value": "prod"}]}]}, ctx)
    rels = [(r["source"], r["target"], r["props"].get("via")) for r in out.links()]
    assert (svc_arn, IAM + "role/web", "instance-role") in rels
    row = next(r for kind in out.nodes if kind.name == "AWSAppRunnerService" for r in out.rows_of(kind))
    assert (row["role_arn"], row["access_role_arn"], row["tags"]) == (IAM + "role/web", IAM + "role/ecr-access", ["env=prod"])

    ci_arn = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:code-interpreter/ci-1"
    out = jobs.transform_code_interpreters({"code_interpreters": [{  # GetCodeInterpreter
        "codeInterpreterId": "ci-1", "codeInterpreterArn": ci_arn, "name": "analysis", "status": "READY",
        "executionRoleArn": IAM + "role/agent", "networkConfiguration": {"networkMode": "PUBLIC"}}]}, ctx)
    assert [(r["source"], r["target"]) for r in out.links() if r["props"].get("via")] == [
        (ci_arn, IAM + "role/agent")]
    job = jobs.transform_sagemaker({"notebooks": [], "processing_jobs": [{  # DescribeProcessingJob
        "ProcessingJobName": "p", "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:1:processing-job/p",
        "ProcessingJobStatus": "InProgress", "RoleArn": IAM + "role/nb", "AppSpecification": {"ImageUri": "img"}}]}, ctx)
    assert [r["target"] for r in job.links() if r["props"].get("via")] == [IAM + "role/nb"]


def test_ecs_task_role_override_and_exec_flag_on_the_api_shape():
    """moto keeps neither task role overrides nor enableExecuteCommand: DescribeTasks' shape."""
    ctx, task = Ctx(None, ACCOUNT, REGION), f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/prod/abc"
    td = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/api:3"
    out = jobs.transform_ecs_runtime({"clusters": [], "services": [], "task_roles": {td: IAM + "role/task"}, "tasks": [
        {"taskArn": task, "taskDefinitionArn": td, "lastStatus": "RUNNING", "enableExecuteCommand": True,
         "clusterArn": "c", "overrides": {"taskRoleArn": IAM + "role/override"}}]}, ctx)
    row = next(r for kind in out.nodes if kind.name == "AWSECSTask" for r in out.rows_of(kind))
    assert (row["role_arn"], row["execute_command_enabled"]) == (IAM + "role/override", True)
