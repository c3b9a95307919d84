"""The escalation methods, as data: one entry per path of the public AWS catalogue (its id is the
entry's ``id``, e.g. ``iam-001``), plus methods seen in real attacks that the catalogue does not list
(ids ``cm-…``), plus the Azure methods (``azure-…``). :mod:`cloudmap.engine.privesc` evaluates them.

``target`` says which candidates a method is checked against and what the edge points to:

=====================  =====================================================================================
``self-policy``        a managed policy P holds: P -> P (P rewrites its own permissions)
``assumable-policy``   a managed policy held by a role P can assume: P -> role (two steps)
``rewritable-policy``  a managed policy held by a role whose trust policy P can rewrite: P -> role
``self-role``          P is a role, the action on its own ARN: P -> P
``assumable-role``     a role P can assume, the action on it: P -> role (two steps)
``rewritable-role``    a role whose trust policy P can rewrite, the action on it: P -> role (two steps)
``role``               any role of the account, the action on it: P -> role
``self-user``          P is a user, the action on its own ARN: P -> P
``user``               another user, every action on it: P -> user (credentials of that user)
``self-group``         a group P is a member of, the action on it: P -> P
``group``              P is a user, the action on a group: P -> group
``passrole``           a role trusting ``service``: iam:PassRole on it, the other actions on a new resource
                       (or on an existing ``needs`` resource, for ``on_existing`` actions): P -> role
``uses``               an existing resource labelled ``uses`` (a workload, a stack, a launch template) that
                       runs as a role: every action on that resource: P -> that role only
``profile-swap``       an instance P can run commands on, whose instance profile P can change: P -> role
``assume``             sts:AssumeRole through a trust policy (the CAN_ASSUME edges)
``deputy``             lambda:InvokeFunction on a function whose role can escalate: P -> role, low confidence
``azure-scope``        Azure: the permission at a scope: P -> P
``azure-roledef``      Azure: a custom role assigned to P that P can rewrite: P -> P
``azure-compute:L``    Azure: the permission on a workload labelled L with managed identity T: P -> T
=====================  =====================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    id: str                            # catalogue id (iam-001 ...), or cm-... / azure-... for our own
    name: str                          # the edge's ``method``
    target: str
    actions: tuple[str, ...]           # every one is required
    explanation: str
    service: str = ""                  # passrole: the service principal the role must trust
    uses: tuple[str, ...] = ()         # uses: labels of the existing resource
    needs: str = ""                    # passrole: a resource of this label must exist ...
    on_existing: tuple[str, ...] = ()  # ... and these actions must be allowed on it
    retag: tuple[str, ...] = ()        # any one of these on the resource makes its tags the caller's choice
    confidence: str = "high"

    @property
    def catalogued(self) -> bool:
        return not self.id.startswith(("cm-", "azure-"))


def _m(id_, name, target, actions, explanation, **kw) -> Method:
    return Method(id_, name, target, tuple(actions), explanation, **kw)


PASS = "iam:PassRole"
LAMBDA, EC2, CFN, GLUE = "lambda.amazonaws.com", "ec2.amazonaws.com", "cloudformation.amazonaws.com", "glue.amazonaws.com"
ECS, SAGEMAKER, CODEBUILD = "ecs-tasks.amazonaws.com", "sagemaker.amazonaws.com", "codebuild.amazonaws.com"
INSTANCE, FUNCTION = ("AWSInstance",), ("AWSLambdaFunction",)

AWS_METHODS: tuple[Method, ...] = (
    # -- rewriting one's own permissions ------------------------------------------------------------
    _m("iam-001", "iam:CreatePolicyVersion", "self-policy", ["iam:CreatePolicyVersion"],
       "Write a new default version of a managed policy attached to oneself, granting anything."),
    _m("iam-005", "iam:PutRolePolicy", "self-role", ["iam:PutRolePolicy"], "Add an inline policy to one's own role."),
    _m("iam-007", "iam:PutUserPolicy", "self-user", ["iam:PutUserPolicy"], "Add an inline policy to oneself."),
    _m("iam-008", "iam:AttachUserPolicy", "self-user", ["iam:AttachUserPolicy"],
       "Attach AdministratorAccess (or any managed policy) to oneself."),
    _m("iam-009", "iam:AttachRolePolicy", "self-role", ["iam:AttachRolePolicy"],
       "Attach any managed policy to one's own role."),
    _m("iam-010", "iam:AttachGroupPolicy", "self-group", ["iam:AttachGroupPolicy"],
       "Attach any managed policy to a group one is a member of."),
    _m("iam-011", "iam:PutGroupPolicy", "self-group", ["iam:PutGroupPolicy"],
       "Add an inline policy to a group one is a member of."),
    _m("iam-013", "iam:AddUserToGroup", "group", ["iam:AddUserToGroup"],
       "Add oneself to the group and inherit its policies."),
    _m("cm-iam-001", "iam:SetDefaultPolicyVersion", "self-policy", ["iam:SetDefaultPolicyVersion"],
       "Switch a managed policy attached to oneself back to an older version that grants more."),
    # -- the credentials of another principal --------------------------------------------------------
    _m("iam-002", "iam:CreateAccessKey", "user", ["iam:CreateAccessKey"],
       "Create an access key for the user (it has fewer than two) and sign in as it."),
    _m("iam-003", "iam:CreateAccessKey+DeleteAccessKey", "user", ["iam:CreateAccessKey", "iam:DeleteAccessKey"],
       "Delete one of the user's two access keys to make room, create a new one and sign in as it."),
    _m("iam-004", "iam:CreateLoginProfile", "user", ["iam:CreateLoginProfile"],
       "Give a user without a console password one and sign in as it."),
    _m("iam-006", "iam:UpdateLoginProfile", "user", ["iam:UpdateLoginProfile"],
       "Reset the user's console password and sign in as it."),
    _m("iam-012", "iam:UpdateAssumeRolePolicy", "role", ["iam:UpdateAssumeRolePolicy"],
       "Rewrite the role's trust policy to trust oneself, then assume it."),
    _m("sts-001", "sts:AssumeRole", "assume", ["sts:AssumeRole"],
       "Assume a role whose trust policy allows it (and whose policies allow more)."),
    _m("cm-iam-002", "iam:TagUser+CreateAccessKey", "user", ["iam:CreateAccessKey"],
       "Tag (or untag) the user so that a tag-conditioned iam:CreateAccessKey applies, then sign in as it.",
       retag=("iam:TagUser", "iam:UntagUser")),
    _m("cm-iam-003", "iam:TagUser+UpdateLoginProfile", "user", ["iam:UpdateLoginProfile"],
       "Tag (or untag) the user so that a tag-conditioned iam:UpdateLoginProfile applies, then sign in as it.",
       retag=("iam:TagUser", "iam:UntagUser")),
    # -- two steps: change another principal's permissions, then use it ------------------------------
    _m("iam-014", "iam:AttachRolePolicy+sts:AssumeRole", "assumable-role", ["iam:AttachRolePolicy"],
       "Attach a managed policy to a role one can assume, then assume it."),
    _m("iam-015", "iam:AttachUserPolicy+CreateAccessKey", "user", ["iam:AttachUserPolicy", "iam:CreateAccessKey"],
       "Attach a managed policy to another user, then create an access key for it."),
    _m("iam-016", "iam:CreatePolicyVersion+sts:AssumeRole", "assumable-policy", ["iam:CreatePolicyVersion"],
       "Rewrite a managed policy of a role one can assume, then assume it."),
    _m("iam-017", "iam:PutRolePolicy+sts:AssumeRole", "assumable-role", ["iam:PutRolePolicy"],
       "Add an inline policy to a role one can assume, then assume it."),
    _m("iam-018", "iam:PutUserPolicy+CreateAccessKey", "user", ["iam:PutUserPolicy", "iam:CreateAccessKey"],
       "Add an inline policy to another user, then create an access key for it."),
    _m("iam-019", "iam:AttachRolePolicy+UpdateAssumeRolePolicy", "rewritable-role",
       ["iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"],
       "Attach a managed policy to a role and rewrite its trust policy to trust oneself, then assume it."),
    _m("iam-020", "iam:CreatePolicyVersion+UpdateAssumeRolePolicy", "rewritable-policy",
       ["iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy"],
       "Rewrite a managed policy of a role and the role's trust policy, then assume it."),
    _m("iam-021", "iam:PutRolePolicy+UpdateAssumeRolePolicy", "rewritable-role",
       ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"],
       "Add an inline policy to a role and rewrite its trust policy to trust oneself, then assume it."),
    # -- pass a role to a new resource of a service --------------------------------------------------
    _m("lambda-001", "iam:PassRole+lambda:CreateFunction+InvokeFunction", "passrole",
       [PASS, "lambda:CreateFunction", "lambda:InvokeFunction"], "Create a function running as the role and invoke it.",
       service=LAMBDA),
    _m("lambda-002", "iam:PassRole+lambda:CreateFunction+CreateEventSourceMapping", "passrole",
       [PASS, "lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
       "Create a function running as the role, triggered by a stream or queue event.", service=LAMBDA),
    _m("lambda-006", "iam:PassRole+lambda:CreateFunction+AddPermission", "passrole",
       [PASS, "lambda:CreateFunction", "lambda:AddPermission"],
       "Create a function running as the role and allow oneself to invoke it.", service=LAMBDA),
    _m("ec2-001", "iam:PassRole+ec2:RunInstances", "passrole", [PASS, "ec2:RunInstances"],
       "Launch an instance with the role's instance profile and read its credentials from the metadata service.",
       service=EC2),
    _m("ec2-003", "iam:PassRole+ec2:RequestSpotInstances", "passrole", [PASS, "ec2:RequestSpotInstances"],
       "Request a spot instance with the role's instance profile and read its credentials.", service=EC2),
    _m("cloudformation-001", "iam:PassRole+cloudformation:CreateStack", "passrole", [PASS, "cloudformation:CreateStack"],
       "Create a stack that CloudFormation deploys as the role.", service=CFN),
    _m("cloudformation-003", "iam:PassRole+cloudformation:CreateStackSet+CreateStackInstances", "passrole",
       [PASS, "cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"],
       "Create a stack set administered as the role and deploy its instances.", service=CFN),
    _m("cloudformation-004", "iam:PassRole+cloudformation:UpdateStackSet", "passrole",
       [PASS, "cloudformation:UpdateStackSet"],
       "Update an existing stack set to be administered as the role, with a template of one's choosing.",
       service=CFN, needs="AWSCloudFormationStackSet", on_existing=("cloudformation:UpdateStackSet",)),
    _m("glue-001", "iam:PassRole+glue:CreateDevEndpoint", "passrole", [PASS, "glue:CreateDevEndpoint"],
       "Create a Glue development endpoint running as the role and SSH in.", service=GLUE),
    _m("glue-003", "iam:PassRole+glue:CreateJob+StartJobRun", "passrole", [PASS, "glue:CreateJob", "glue:StartJobRun"],
       "Create and run a Glue job as the role.", service=GLUE),
    _m("glue-004", "iam:PassRole+glue:CreateJob+CreateTrigger", "passrole", [PASS, "glue:CreateJob", "glue:CreateTrigger"],
       "Create a Glue job as the role and a trigger that starts it.", service=GLUE),
    _m("glue-005", "iam:PassRole+glue:UpdateJob+StartJobRun", "passrole", [PASS, "glue:UpdateJob", "glue:StartJobRun"],
       "Point an existing Glue job at the role and a script of one's choosing, then run it.", service=GLUE,
       needs="AWSGlueJob", on_existing=("glue:UpdateJob", "glue:StartJobRun")),
    _m("glue-006", "iam:PassRole+glue:UpdateJob+CreateTrigger", "passrole", [PASS, "glue:UpdateJob", "glue:CreateTrigger"],
       "Point an existing Glue job at the role and start it with a new trigger.", service=GLUE,
       needs="AWSGlueJob", on_existing=("glue:UpdateJob",)),
    _m("cm-glue-001", "iam:PassRole+glue:CreateSession+RunStatement", "passrole",
       [PASS, "glue:CreateSession", "glue:RunStatement"],
       "Open a Glue interactive session as the role and run code in it.", service=GLUE),
    _m("datapipeline-001", "iam:PassRole+datapipeline:CreatePipeline", "passrole",
       [PASS, "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"],
       "Define and activate a pipeline whose activities run commands as the role.", service="datapipeline.amazonaws.com"),
    _m("codebuild-001", "iam:PassRole+codebuild:CreateProject+StartBuild", "passrole",
       [PASS, "codebuild:CreateProject", "codebuild:StartBuild"],
       "Create a build project running as the role with a build spec of one's choosing, and start it.", service=CODEBUILD),
    _m("codebuild-004", "iam:PassRole+codebuild:CreateProject+StartBuildBatch", "passrole",
       [PASS, "codebuild:CreateProject", "codebuild:StartBuildBatch"],
       "Create a build project running as the role and start a batch build.", service=CODEBUILD),
    _m("sagemaker-001", "iam:PassRole+sagemaker:CreateNotebookInstance", "passrole",
       [PASS, "sagemaker:CreateNotebookInstance"], "Create a notebook instance running as the role.", service=SAGEMAKER),
    _m("sagemaker-002", "iam:PassRole+sagemaker:CreateTrainingJob", "passrole", [PASS, "sagemaker:CreateTrainingJob"],
       "Run a training job container of one's choosing as the role.", service=SAGEMAKER),
    _m("sagemaker-003", "iam:PassRole+sagemaker:CreateProcessingJob", "passrole", [PASS, "sagemaker:CreateProcessingJob"],
       "Run a processing job container of one's choosing as the role.", service=SAGEMAKER),
    _m("ecs-001", "iam:PassRole+ecs:CreateCluster+CreateService", "passrole",
       [PASS, "ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:CreateService"],
       "Create a cluster and a service whose task definition has the role as task role.", service=ECS),
    _m("ecs-002", "iam:PassRole+ecs:CreateCluster+RunTask", "passrole",
       [PASS, "ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
       "Create a cluster and run a task with the role as task role.", service=ECS),
    _m("ecs-003", "iam:PassRole+ecs:CreateService", "passrole", [PASS, "ecs:RegisterTaskDefinition", "ecs:CreateService"],
       "Register a task definition with the role as task role and run it as a service in an existing cluster.",
       service=ECS, needs="AWSECSCluster"),
    _m("ecs-004", "iam:PassRole+ecs:RunTask", "passrole", [PASS, "ecs:RegisterTaskDefinition", "ecs:RunTask"],
       "Register a task definition with the role as task role and run it in an existing cluster.",
       service=ECS, needs="AWSECSCluster"),
    _m("ecs-005", "iam:PassRole+ecs:StartTask", "passrole", [PASS, "ecs:RegisterTaskDefinition", "ecs:StartTask"],
       "Register a task definition with the role as task role and start it on an existing cluster's instance.",
       service=ECS, needs="AWSECSCluster"),
    _m("cm-ecs-001", "iam:PassRole+ecs:UpdateService", "passrole", [PASS, "ecs:RegisterTaskDefinition", "ecs:UpdateService"],
       "Register a task definition with the role as task role and switch an existing service to it.",
       service=ECS, needs="AWSECSService", on_existing=("ecs:UpdateService",)),
    _m("apprunner-001", "iam:PassRole+apprunner:CreateService", "passrole", [PASS, "apprunner:CreateService"],
       "Create an App Runner service whose instance role is the role.", service="tasks.apprunner.amazonaws.com"),
    _m("bedrock-001", "iam:PassRole+bedrock-agentcore:CreateCodeInterpreter", "passrole",
       [PASS, "bedrock-agentcore:CreateCodeInterpreter", "bedrock-agentcore:StartCodeInterpreterSession",
        "bedrock-agentcore:InvokeCodeInterpreter"],
       "Create a code interpreter with the role as execution role and run code in a session.",
       service="bedrock-agentcore.amazonaws.com"),
    # -- use an existing resource that runs as a role -----------------------------------------------
    _m("lambda-003", "lambda:UpdateFunctionCode", "uses", ["lambda:UpdateFunctionCode"],
       "Replace the code of a function that runs as the role; it runs at its next invocation.", uses=FUNCTION),
    _m("lambda-004", "lambda:UpdateFunctionCode+InvokeFunction", "uses",
       ["lambda:UpdateFunctionCode", "lambda:InvokeFunction"], "Replace a function's code and invoke it.", uses=FUNCTION),
    _m("lambda-005", "lambda:UpdateFunctionCode+AddPermission", "uses", ["lambda:UpdateFunctionCode", "lambda:AddPermission"],
       "Replace a function's code and allow oneself to invoke it.", uses=FUNCTION),
    _m("ssm-001", "ssm:StartSession", "uses", ["ssm:StartSession"],
       "Open a shell on an instance whose profile role is the role.", uses=INSTANCE),
    _m("ssm-002", "ssm:SendCommand", "uses", ["ssm:SendCommand"],
       "Run a command on an instance whose profile role is the role.", uses=INSTANCE),
    _m("ec2instanceconnect-003", "ec2-instance-connect:SendSSHPublicKey", "uses",
       ["ec2-instance-connect:SendSSHPublicKey", "ec2:DescribeInstances"],
       "Push an SSH key to an instance whose profile role is the role and log in.", uses=INSTANCE),
    _m("ec2-002", "ec2:ModifyInstanceAttribute+StopInstances+StartInstances", "uses",
       ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"],
       "Stop an instance, replace its user data with a script, and start it again.", uses=INSTANCE),
    _m("ec2-004", "ec2:CreateLaunchTemplateVersion+ModifyLaunchTemplate", "uses",
       ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
       "Add a launch template version with user data of one's choosing and make it the default: instances "
       "launched from it (auto scaling) run it with the template's instance profile.", uses=("AWSLaunchTemplate",)),
    _m("cloudformation-002", "cloudformation:UpdateStack", "uses", ["cloudformation:UpdateStack"],
       "Update a stack with a template of one's choosing; CloudFormation deploys it as the stack's role.",
       uses=("AWSCloudFormationStack",)),
    _m("cloudformation-005", "cloudformation:CreateChangeSet+ExecuteChangeSet", "uses",
       ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"],
       "Create and execute a change set on a stack; it deploys as the stack's role.", uses=("AWSCloudFormationStack",)),
    _m("codebuild-002", "codebuild:StartBuild", "uses", ["codebuild:StartBuild"],
       "Start a build with a build spec override; it runs as the project's service role.", uses=("AWSCodeBuildProject",)),
    _m("codebuild-003", "codebuild:StartBuildBatch", "uses", ["codebuild:StartBuildBatch"],
       "Start a batch build with a build spec override; it runs as the project's service role.",
       uses=("AWSCodeBuildProject",)),
    _m("glue-002", "glue:UpdateDevEndpoint", "uses", ["glue:UpdateDevEndpoint"],
       "Add one's SSH key to a development endpoint and log in; it runs as the endpoint's role.",
       uses=("AWSGlueDevEndpoint",)),
    _m("sagemaker-004", "sagemaker:CreatePresignedNotebookInstanceUrl", "uses",
       ["sagemaker:CreatePresignedNotebookInstanceUrl"],
       "Open a notebook instance through a presigned URL; its terminal runs as the notebook's role.",
       uses=("AWSSageMakerNotebook",)),
    _m("sagemaker-005", "sagemaker:CreateNotebookInstanceLifecycleConfig+UpdateNotebookInstance", "uses",
       ["sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:StopNotebookInstance",
        "sagemaker:UpdateNotebookInstance", "sagemaker:StartNotebookInstance"],
       "Attach a lifecycle script to a notebook instance and restart it; the script runs as the notebook's role.",
       uses=("AWSSageMakerNotebook",)),
    _m("apprunner-002", "apprunner:UpdateService", "uses", ["apprunner:UpdateService"],
       "Point an App Runner service at an image or start command of one's choosing; it runs as the instance role.",
       uses=("AWSAppRunnerService",)),
    _m("bedrock-002", "bedrock-agentcore:StartCodeInterpreterSession+InvokeCodeInterpreter", "uses",
       ["bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"],
       "Run code in a session of an existing code interpreter, as its execution role.",
       uses=("AWSBedrockCodeInterpreter",)),
    _m("cm-ecs-002", "ecs:ExecuteCommand", "uses", ["ecs:ExecuteCommand"],
       "Open a shell in a running task with ECS Exec and use its task role.", uses=("AWSECSTask",)),
    _m("cm-ec2-001", "ec2:CreateTags+ssm:StartSession", "uses", ["ssm:StartSession"],
       "Tag (or untag) an instance so that a tag-conditioned ssm:StartSession applies, then open a shell.",
       uses=INSTANCE, retag=("ec2:CreateTags", "ec2:DeleteTags")),
    _m("cm-ec2-002", "ec2:CreateTags+ModifyInstanceAttribute", "uses",
       ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"],
       "Tag (or untag) an instance so that a tag-conditioned ec2:ModifyInstanceAttribute applies, then replace "
       "its user data.", uses=INSTANCE, retag=("ec2:CreateTags", "ec2:DeleteTags")),
    _m("cm-iam-004", "iam:RemoveRoleFromInstanceProfile+AddRoleToInstanceProfile", "profile-swap",
       [PASS, "iam:RemoveRoleFromInstanceProfile", "iam:AddRoleToInstanceProfile", "ssm:SendCommand"],
       "Swap the role in the instance profile of a running instance one can run commands on, then read the "
       "new role's credentials there.", service=EC2),
    _m("cm-lambda-001", "lambda:InvokeFunction (confused deputy)", "deputy", ["lambda:InvokeFunction"],
       "Invoke a function whose role can escalate, with input of one's choosing: whether the function can be "
       "steered into using its role depends on its code.", confidence="low"),
)

AZURE_METHODS: tuple[Method, ...] = (
    _m("azure-001", "azure:roleAssignments/write", "azure-scope", ["Microsoft.Authorization/roleAssignments/write"],
       "Assign oneself any role (Owner) at the scope: Owner and User Access Administrator have this."),
    _m("azure-002", "azure:roleDefinitions/write", "azure-roledef", ["Microsoft.Authorization/roleDefinitions/write"],
       "Add every action to a custom role that is assigned to oneself."),
    _m("azure-003", "azure:virtualMachines/write", "azure-compute:VirtualMachine",
       ["Microsoft.Compute/virtualMachines/write"],
       "Change a VM with the managed identity (custom data, OS profile) to run code as it."),
    _m("azure-004", "azure:virtualMachines/runCommand", "azure-compute:VirtualMachine",
       ["Microsoft.Compute/virtualMachines/runCommand/action"], "Run a command on a VM with the managed identity."),
    _m("azure-005", "azure:virtualMachines/extensions/write", "azure-compute:VirtualMachine",
       ["Microsoft.Compute/virtualMachines/extensions/write"],
       "Install a custom script extension on a VM with the managed identity."),
    _m("azure-006", "azure:sites/write", "azure-compute:Function", ["Microsoft.Web/sites/write"],
       "Change the configuration of an app or function with the managed identity to run code of one's choosing."),
    _m("azure-007", "azure:sites/publish", "azure-compute:Function", ["Microsoft.Web/sites/publish/action"],
       "Deploy code (zip deploy, Kudu) to an app or function with the managed identity."),
    _m("azure-008", "azure:automationAccounts/runbooks", "azure-compute:AutomationAccount",
       ["Microsoft.Automation/automationAccounts/runbooks/write", "Microsoft.Automation/automationAccounts/jobs/write"],
       "Write a runbook in an Automation account with the managed identity and start a job."),
    _m("azure-009", "azure:managedClusters/listClusterAdminCredential", "azure-compute:Cluster",
       ["Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action"],
       "Get cluster-admin credentials of an AKS cluster, schedule a pod on its nodes and use the kubelet identity."),
)

METHODS: tuple[Method, ...] = AWS_METHODS + AZURE_METHODS
BY_NAME = {m.name: m for m in METHODS}
