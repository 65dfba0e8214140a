"""Unexpected errors never leak (issue 14, items 3 and 4): an exception in a console endpoint is logged on one
line with a request id and answered 500 with that id; a failed API Lambda the same, with the id the Lambda was
invoked with (``requestContext.requestId``)."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

from starlette.testclient import TestClient

from duoflow.console.app import create_app
from duoflow.console.gateway import ApiGateway
from duoflow.console.tokens import TokenSigner


def test_an_unexpected_exception_is_a_logged_500_with_a_request_id(client, as_hr, monkeypatch, capfd):
    def broken(*arguments, **keywords):
        raise RuntimeError("the store went away\n  at line 2")

    monkeypatch.setattr(client.app.state.console.executions, "list", broken)
    answer = client.get("/console/api/executions", headers=as_hr)
    assert answer.status_code == 500
    request_id = answer.json()["request_id"]
    assert answer.json() == {"message": "internal error", "request_id": request_id}
    assert answer.headers["x-request-id"] == request_id
    logged = [line for line in capfd.readouterr().err.splitlines() if request_id in line]
    assert logged == [
        f"duoflow console: request {request_id} GET /console/api/executions failed: "
        "RuntimeError: the store went away at line 2"
    ]


class FailingLambda:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def invoke(self, FunctionName: str, Payload: str) -> dict:
        self.events.append(json.loads(Payload))
        error = {"errorMessage": "boom", "errorType": "KeyError", "stackTrace": ["File x, line 1"]}
        return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(json.dumps(error).encode())}


def test_a_failed_api_lambda_is_a_logged_500_carrying_the_request_id_it_was_invoked_with(capfd):
    api = FailingLambda()
    app = create_app(SimpleNamespace(client={"lambda": api}.__getitem__, resources={}), TokenSigner.for_this_run())
    answer = TestClient(app).post("/api/apply", json={})
    request_id = answer.headers["x-request-id"]
    assert answer.status_code == 500
    assert answer.json() == {"message": "internal server error", "request_id": request_id}
    assert "stackTrace" not in answer.text and "boom" not in answer.text
    assert api.events[0]["requestContext"]["requestId"] == request_id
    err = capfd.readouterr().err
    assert f"request {request_id} POST /apply failed: the duoflow-api Lambda failed: KeyError: boom" in err


def test_the_gateway_outside_a_request_makes_an_id_per_call(capfd):
    api = FailingLambda()
    gateway = ApiGateway(lambda: api, TokenSigner.for_this_run())
    first, second = (gateway.handle("GET", "/status/x", {}, None, None) for _ in range(2))
    ids = [event["requestContext"]["requestId"] for event in api.events]
    assert ids[0] != ids[1] and json.loads(first.body)["request_id"] == ids[0] == first.headers["apigw-requestid"]
    assert second.status == 500
