"""An error the API did not expect is logged with the request id and answered 500 carrying that id — never a
stack trace to the caller, never a silent 500 (services/api/handler.py)."""

from __future__ import annotations

import json
import logging

from duoflow.api_client import http_api_event
from services.api import handler as api
from tests.unit.loan.builders import form


def test_an_unexpected_error_is_logged_with_the_request_id_and_answered_500_with_it(monkeypatch, caplog):
    def broken(*arguments):
        raise RuntimeError("the table is gone")

    monkeypatch.setattr(api.workflows, "start_loan", broken)
    event = http_api_event("POST", "/apply", form(), request_id="req-42")
    with caplog.at_level(logging.ERROR, logger=api.__name__):
        response = api.handler(event, None)
    assert response["statusCode"] == 500
    body = json.loads(response["body"])
    assert body == {"message": "internal error; the server's log has the details", "request_id": "req-42"}
    assert "the table is gone" not in response["body"] and "Traceback" not in response["body"]
    [record] = caplog.records
    assert record.getMessage() == "request req-42: POST /apply failed"
    assert "the table is gone" in str(record.exc_info[1])


def test_a_missing_application_is_still_a_404_not_an_unexpected_error():
    response = api.handler(http_api_event("GET", "/nowhere"), None)
    assert (response["statusCode"], json.loads(response["body"])["message"]) == (404, "Not found")
