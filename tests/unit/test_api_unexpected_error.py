"""An error the API did not expect is logged with the request id and answered 500 carrying that id — never a
stack trace to the caller, never a silent 500 (services/api/handler.py)."""

from __future__ import annotations

import json

from duoflow.api_client import http_api_event
from services.api import handler as api
from tests.logs import captured_logs
from tests.unit.loan.builders import ORDINARY_SIN, form


def test_an_unexpected_error_is_logged_with_the_request_id_and_answered_500_with_it(monkeypatch):
    def broken(*arguments):
        raise RuntimeError("the table is gone")

    monkeypatch.setattr(api.workflows, "start_loan", broken)
    event = http_api_event("POST", "/apply", form(application_id="app-42"), request_id="req-42")
    with captured_logs() as lines:
        response = api.handler(event, None)
    assert response["statusCode"] == 500
    body = json.loads(response["body"])
    assert body == {"message": "internal error; the server's log has the details", "request_id": "req-42"}
    assert "the table is gone" not in response["body"] and "Traceback" not in response["body"]
    [error] = [line for line in lines if line["level"] == "ERROR"]
    assert error["message"] == "request req-42: POST /apply failed"
    assert "RuntimeError: the table is gone" in error["exception"]
    assert error["correlation_id"] == "app-42"
    assert ORDINARY_SIN not in json.dumps(lines) and "85000" not in json.dumps(lines)


def test_a_missing_application_is_still_a_404_not_an_unexpected_error():
    response = api.handler(http_api_event("GET", "/nowhere"), None)
    assert (response["statusCode"], json.loads(response["body"])["message"]) == (404, "Not found")
