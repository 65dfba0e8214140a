"""ARNs of the stack's functions and state machines, built from their names rather than from the resources.

Functions and state machines have fixed names (config.Settings.physical_name), so an IAM policy or an
environment variable can name one without depending on it: a state machine invokes a function whose role may
answer that state machine's task tokens, and a reference in both directions would be a dependency cycle.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack

from infra.config import Settings

ALIAS = "live"  # every function is called through this alias, never $LATEST


class Arns:
    def __init__(self, stack: Stack, settings: Settings) -> None:
        self._stack = stack
        self._settings = settings

    def function(self, name: str, qualifier: str | None = None) -> str:
        resource_name = self._settings.physical_name(name) + (f":{qualifier}" if qualifier else "")
        return self._stack.format_arn(
            service="lambda", resource="function", resource_name=resource_name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )

    def alias(self, name: str) -> str:
        return self.function(name, ALIAS)

    def durable_executions(self, name: str) -> str:
        """Every durable execution of every version: <function ARN>:<version>/durable-execution/..."""
        return self.function(name, "*")

    def state_machine(self, name: str) -> str:
        return self._stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self._settings.physical_name(name),
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def bedrock_models(self, model_id: str) -> list[str]:
        """A foundation model id, or a cross-region inference profile id (``us.``, ``eu.``, ``global.`` ...):
        the profile, and the model in whichever region the profile routes to."""
        prefix, _, base = model_id.partition(".")
        if prefix in ("us", "eu", "apac", "jp", "au", "ca", "us-gov", "global") and base:
            profile = self._stack.format_arn(
                service="bedrock",
                resource="inference-profile",
                resource_name=model_id,
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
            models = [f"arn:{self._stack.partition}:bedrock:*::foundation-model/{base}"]
            if prefix == "global":  # a global profile's model ARN has no region
                models.append(f"arn:{self._stack.partition}:bedrock:::foundation-model/{base}")
            return [profile, *models]
        return [f"arn:{self._stack.partition}:bedrock:{self._stack.region}::foundation-model/{model_id}"]
