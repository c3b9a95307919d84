"""AWS resources that run code or deploy infrastructure with a role of their own: what the
existing-resource escalation methods act on (update a stack, start a build, update a dev endpoint,
open a notebook, change a launch template, ...). Each one ``USES_IDENTITY`` the role it runs as.

Ids are ARNs. Glue has none in its API answers: ``arn:aws:glue:<region>:<account>:devEndpoint/<name>``,
``…:job/<name>``, ``…:trigger/<name>``. Launch templates: ``arn:aws:ec2:<region>:<account>:launch-template/<id>``."""

from cloudmap.graph.kinds import aws as k
from cloudmap.graph.model import node_kind, rel_kind

_RUNS_AS = (("role_arn", "str", "the role the resource runs or deploys as"),)

CLOUDFORMATION_STACK = node_kind("AWSCloudFormationStack", ("Deployment",), (
    *_RUNS_AS, ("status", "str"), ("stack_id", "str"), ("creation_time", "datetime"),
    ("last_updated", "datetime"), ("parameter_keys", "list[str]", "parameter names (never their values)"),
), "A CloudFormation stack; its service role (RoleARN) is what every update deploys as.")
CLOUDFORMATION_STACK_SET = node_kind("AWSCloudFormationStackSet", ("Deployment",), (
    *_RUNS_AS, ("status", "str"), ("permission_model", "str", "SELF_MANAGED or SERVICE_MANAGED"),
    ("execution_role_name", "str", "the role assumed in each target account"),
), "A CloudFormation stack set; role_arn is its administration role.")
CODEBUILD_PROJECT = node_kind("AWSCodeBuildProject", ("Workload", "BuildProject"), (
    *_RUNS_AS, ("source_type", "str"), ("source_location", "str"), ("environment_image", "str"),
    ("privileged_mode", "bool"), ("environment_variable_names", "list[str]", "names only, never values"),
), "A CodeBuild project; builds run as its service role.")
GLUE_DEV_ENDPOINT = node_kind("AWSGlueDevEndpoint", ("Workload",), (
    *_RUNS_AS, ("status", "str"), ("public_address", "str"), ("has_public_keys", "bool"),
), "A Glue development endpoint (SSH-reachable, runs as its role).")
GLUE_JOB = node_kind("AWSGlueJob", ("Workload",), (
    *_RUNS_AS, ("command", "str", "glueetl, pythonshell, gluestreaming"), ("script_location", "str"),
    ("glue_version", "str"),
), "A Glue job.")
GLUE_TRIGGER = node_kind("AWSGlueTrigger", ("Trigger",), (
    ("trigger_type", "str", "SCHEDULED, CONDITIONAL, ON_DEMAND, EVENT"), ("state", "str"),
    ("schedule", "str"),
), "A Glue trigger; STARTS the jobs of its actions.")
SAGEMAKER_NOTEBOOK = node_kind("AWSSageMakerNotebook", ("Workload",), (
    *_RUNS_AS, ("status", "str"), ("instance_type", "str"), ("direct_internet_access", "bool"),
    ("root_access", "bool"), ("lifecycle_config", "str"),
), "A SageMaker notebook instance.")
SAGEMAKER_PROCESSING_JOB = node_kind("AWSSageMakerProcessingJob", ("Workload",), (
    *_RUNS_AS, ("status", "str"), ("image_uri", "str"),
), "A SageMaker processing job.")
ECS_CLUSTER = node_kind("AWSECSCluster", ("Cluster",), (
    ("status", "str"), ("running_tasks", "int"), ("active_services", "int"),
    ("container_instances", "int", "registered EC2 container instances (StartTask places tasks on them)"),
), "An ECS cluster; CONTAINS its services and tasks.")
ECS_SERVICE = node_kind("AWSECSService", ("Workload", "ContainerService"), (
    *_RUNS_AS, ("status", "str"), ("launch_type", "str"), ("desired_count", "int"),
    ("task_definition_arn", "str"), ("cluster_arn", "str"),
), "An ECS service; role_arn is the task role of its task definition.")
ECS_TASK = node_kind("AWSECSTask", ("Workload", "ContainerService"), (
    *_RUNS_AS, ("last_status", "str"), ("launch_type", "str"), ("task_definition_arn", "str"),
    ("cluster_arn", "str"), ("execute_command_enabled", "bool", "ECS Exec is on: ecs:ExecuteCommand opens a shell"),
), "A running ECS task; role_arn is its task role (an override, or its task definition's).")
LAUNCH_TEMPLATE = node_kind("AWSLaunchTemplate", ("LaunchTemplate",), (
    ("template_id", "str"), ("default_version", "int"), ("latest_version", "int"),
    ("instance_profile", "str", "the instance profile ARN or name in the default version"),
    ("image_id", "str"), ("has_user_data", "bool"),
), "An EC2 launch template (its default version); USES_PROFILE its instance profile.")
APP_RUNNER_SERVICE = node_kind("AWSAppRunnerService", ("Workload",), (
    *_RUNS_AS, ("status", "str"), ("service_url", "str"), ("access_role_arn", "str", "ECR access role"),
), "An App Runner service; role_arn is its instance role.")
BEDROCK_CODE_INTERPRETER = node_kind("AWSBedrockCodeInterpreter", ("Workload",), (
    *_RUNS_AS, ("status", "str"), ("network_mode", "str"),
), "A Bedrock AgentCore code interpreter; sessions run code as its execution role.")

SERVICE_IN_CLUSTER = rel_kind("CONTAINS", ECS_CLUSTER, "Asset", description="An ECS cluster runs the service or task.")
RUNS_TASK_DEFINITION = rel_kind("RUNS_TASK_DEFINITION", "Asset", k.ECS_TASK_DEFINITION,
                                description="The ECS service or task runs this task definition.")
TRIGGER_STARTS = rel_kind("STARTS", GLUE_TRIGGER, GLUE_JOB, description="The trigger starts the job.")
USES_PROFILE = rel_kind("USES_PROFILE", LAUNCH_TEMPLATE, k.INSTANCE_PROFILE,
                        description="Instances launched from the template get this instance profile.")
