"""One type for how a waiting workflow is answered (services/common/reply_to.py): a task token or a callback id,
carried as one field on the wire, answered through the right API."""

from __future__ import annotations

import pytest

from services.common import bootstrap
from services.common.reply_to import ReplyTo


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def __getattr__(self, name: str):
        return lambda **arguments: self.calls.append((name, arguments))


@pytest.fixture
def clients():
    lambda_client, sfn_client = Recorder(), Recorder()
    return bootstrap.bootstrap(lambda_client=lambda_client, sfn_client=sfn_client)


@pytest.mark.parametrize(
    ("fields", "reply_to"),
    [
        ({"task_token": "t-1", "application": {}}, ReplyTo.task_token("t-1")),
        ({"callback_id": "c-1"}, ReplyTo.callback("c-1")),
    ],
)
def test_it_travels_as_one_field(fields, reply_to):
    assert ReplyTo.from_fields(fields) == reply_to
    assert ReplyTo.from_fields(reply_to.as_fields()) == reply_to
    assert len(reply_to.as_fields()) == 1


def test_a_task_token_is_answered_through_step_functions(clients):
    lambda_client, sfn_client = clients.lambda_client, clients.sfn_client
    ReplyTo.task_token("t-1").succeed(clients, '{"ok": true}')
    ReplyTo.task_token("t-1").fail(clients, "FraudServiceUnavailable", "down")
    assert sfn_client.calls == [
        ("send_task_success", {"taskToken": "t-1", "output": '{"ok": true}'}),
        ("send_task_failure", {"taskToken": "t-1", "error": "FraudServiceUnavailable", "cause": "down"}),
    ]
    assert lambda_client.calls == []


def test_a_callback_id_is_answered_through_the_durable_callback_api(clients):
    lambda_client, sfn_client = clients.lambda_client, clients.sfn_client
    ReplyTo.callback("c-1").succeed(clients, '{"ok": true}')
    ReplyTo.callback("c-1").fail(clients, "FraudServiceUnavailable", "down")
    assert lambda_client.calls == [
        ("send_durable_execution_callback_success", {"CallbackId": "c-1", "Result": b'{"ok": true}'}),
        (
            "send_durable_execution_callback_failure",
            {"CallbackId": "c-1", "Error": {"ErrorType": "FraudServiceUnavailable", "ErrorMessage": "down"}},
        ),
    ]
    assert sfn_client.calls == []
