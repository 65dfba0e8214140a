"""The duoflow stack: composes the constructs, one per concern, and reports what a benchmark needs.

storage (tables, buckets) · messaging (topics) · workflow functions (the catalog) · state machines (the ASL
files) · uploads (bucket → EventBridge → the function that starts a workflow) · streams (the audit trails' changes →
the business metrics) · auth (Cognito) · API.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from catalog import deployment, outputs
from catalog.specs import FunctionSpec
from catalog.state_machines import StateMachineSpec
from infra.api import API_FUNCTION, Api, Auth
from infra.config import Settings
from infra.functions import WorkflowFunctions
from infra.messaging import Messaging
from infra.naming import Arns
from infra.references import References
from infra.state_machines import StateMachines
from infra.storage import Storage
from infra.streams import Streams
from infra.uploads import Uploads, upload_sources


class DuoflowStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        code: lambda_.Code,
        catalog: list[FunctionSpec] | None = None,
        state_machines: list[StateMachineSpec] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="duoflow: loan and training approvals on Step Functions, durable Lambda, and both",
            **kwargs,
        )
        catalog = deployment.functions() if catalog is None else catalog
        state_machines = deployment.state_machines() if state_machines is None else state_machines
        storage = Storage(self, "storage", settings=settings)
        messaging = Messaging(self, "messaging")
        references = References(
            settings,
            Arns(self, settings),
            tables=storage.tables,
            topics=messaging.topics,
            buckets=storage.buckets,
            function_names=[spec.name for spec in catalog],
            state_machine_names=[spec.name for spec in state_machines],
        )
        functions = WorkflowFunctions(
            self,
            "functions",
            settings=settings,
            references=references,
            catalog=catalog,
            code=code,
            table_indexes=storage.table_indexes,
            uploads=upload_sources(),
        )
        machines = StateMachines(
            self,
            "state-machines",
            settings=settings,
            references=references,
            functions=functions,
            specs=state_machines,
        )
        Uploads(self, "uploads", storage=storage, functions=functions)
        Streams(self, "streams", storage=storage, functions=functions)
        auth = Auth(self, "auth", settings=settings)
        api = Api(self, "api", settings=settings, handler=functions.aliases[API_FUNCTION], auth=auth)

        self._output(outputs.API_URL, api.url, "the HTTP API's base URL")
        self._output(outputs.REGION, self.region, "the region the stack is in")
        self._output(outputs.STAGE, settings.stage, "the stage (context 'stage')")
        self._output(outputs.USER_POOL_ID, auth.user_pool.user_pool_id, "Cognito user pool of managers and HR")
        self._output(outputs.USER_POOL_CLIENT_ID, auth.client.user_pool_client_id, "app client to sign in with")
        for name, machine in machines.state_machines.items():
            self._output(outputs.state_machine_arn_key(name), machine.state_machine_arn, f"state machine {name}")
        for name, function in functions.functions.items():
            self._output(outputs.function_name_key(name), function.function_name, f"function {name}")
            self._output(
                outputs.function_alias_arn_key(name), functions.aliases[name].function_arn, f"{name}'s live alias"
            )
        for name, table in storage.tables.items():
            self._output(outputs.table_name_key(name), table.table_name, f"table {name}")
        for name, topic in messaging.topics.items():
            self._output(outputs.topic_arn_key(name), topic.topic_arn, f"topic {name}")
        for name, bucket in storage.buckets.items():
            self._output(outputs.bucket_name_key(name), bucket.bucket_name, f"bucket {name}")

    def _output(self, key: str, value: str, description: str) -> None:
        CfnOutput(self, key, value=value, description=description)
