"""How a waiting workflow is answered: a Step Functions task token (sfn, hybrid) or a durable callback id
(durable). One type for the fraud service, the manager's approval and HR's review, whatever the variant.

On the wire — in an event, in a pending item — it travels as one field, ``{"task_token": ...}`` or
``{"callback_id": ...}`` (``as_fields`` / ``from_fields``); the ASL states pass ``task_token``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.common.bootstrap import Adapters

TASK_TOKEN, CALLBACK_ID = "task_token", "callback_id"


@dataclass(frozen=True)
class ReplyTo:
    kind: str  # TASK_TOKEN | CALLBACK_ID
    value: str

    @classmethod
    def task_token(cls, token: str) -> ReplyTo:
        return cls(TASK_TOKEN, token)

    @classmethod
    def callback(cls, callback_id: str) -> ReplyTo:
        return cls(CALLBACK_ID, callback_id)

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> ReplyTo:
        """The channel a event or pending item carries (a callback id wins: a durable wait never has a token)."""
        if CALLBACK_ID in fields:
            return cls.callback(fields[CALLBACK_ID])
        return cls.task_token(fields[TASK_TOKEN])

    def as_fields(self) -> dict[str, str]:
        return {self.kind: self.value}

    def succeed(self, adapters: Adapters, output: str) -> None:
        """Resume the workflow with ``output`` (JSON text)."""

        if self.kind == CALLBACK_ID:
            adapters.lambda_client.send_durable_execution_callback_success(
                CallbackId=self.value, Result=output.encode()
            )
        else:
            adapters.sfn_client.send_task_success(taskToken=self.value, output=output)

    def fail(self, adapters: Adapters, error: str, message: str) -> None:
        """Resume the workflow with a named error (what the ASL catches, or the durable callback raises)."""

        if self.kind == CALLBACK_ID:
            adapters.lambda_client.send_durable_execution_callback_failure(
                CallbackId=self.value, Error={"ErrorType": error, "ErrorMessage": message}
            )
        else:
            adapters.sfn_client.send_task_failure(taskToken=self.value, error=error, cause=message)
