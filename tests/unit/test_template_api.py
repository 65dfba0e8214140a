"""A template's API routes as API Gateway serves them (duoflow/templates/api.py): which route a request takes, the
event its function gets (HTTP API 2.0, REST API 1.0), and the response made of the function's answer."""

from __future__ import annotations

import base64
import json

from duoflow.templates.api import Request, answer, event_for, match, response_for
from duoflow.templates.plan import Cors, Route

ROUTES = [
    Route("GET", "/items/{id}", "items", "2.0", "a"),
    Route("GET", "/items/special", "special", "2.0", "b"),
    Route("ANY", "/files/{path+}", "files", "2.0", "c"),
    Route("POST", "/legacy/{id}", "legacy", "1.0", "d"),
]


def test_routes_match_as_api_gateway_matches_them():
    assert match(ROUTES, "GET", "/items/42") == (ROUTES[0], {"id": "42"})
    assert match(ROUTES, "GET", "/items/special") == (ROUTES[1], {})  # a literal segment wins
    assert match(ROUTES, "DELETE", "/files/a/b%20c.txt") == (ROUTES[2], {"path": "a/b c.txt"})
    assert match(ROUTES, "POST", "/items/42") is None  # wrong method
    default = Route("ANY", "$default", "fallback", "2.0", "e")
    assert match([*ROUTES, default], "PUT", "/anything") == (default, {})


def test_an_http_api_event_has_the_2_0_shape():
    request = Request("GET", "/items/42", "a=1&a=2&b=", [("Host", "x"), ("Cookie", "s=1; t=2")], b"")
    event = event_for(ROUTES[0], {"id": "42"}, request)
    assert event["version"] == "2.0" and event["routeKey"] == "GET /items/{id}"
    assert (event["rawPath"], event["rawQueryString"]) == ("/items/42", "a=1&a=2&b=")
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"id": "42"}
    assert event["cookies"] == ["s=1", "t=2"] and "cookie" not in event["headers"]
    assert event["requestContext"]["http"]["method"] == "GET"
    assert "body" not in event and event["isBase64Encoded"] is False


def test_a_rest_api_event_has_the_1_0_shape_and_binary_bodies_are_base64():
    request = Request("POST", "/legacy/7", "", [("Content-Type", "application/octet-stream")], b"\xff\x00")
    event = event_for(ROUTES[3], {"id": "7"}, request)
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/legacy/{id}", "/legacy/7", "POST")
    assert event["pathParameters"] == {"id": "7"} and event["queryStringParameters"] is None
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\x00"
    assert event["requestContext"]["resourcePath"] == "/legacy/{id}"


def test_responses_from_the_functions_answer():
    proxy = {"statusCode": 201, "headers": {"X-A": "1"}, "cookies": ["c=1"], "body": "made"}
    made = response_for(ROUTES[0], json.dumps(proxy).encode(), None)
    assert (made.status, made.body) == (201, b"made")
    assert ("X-A", "1") in made.headers and ("Set-Cookie", "c=1") in made.headers
    plain = response_for(ROUTES[0], json.dumps({"ok": True}).encode(), None)  # HTTP API: any value is JSON, 200
    assert (plain.status, json.loads(plain.body)) == (200, {"ok": True})
    assert response_for(ROUTES[3], json.dumps({"ok": True}).encode(), None).status == 502  # REST API needs statusCode
    assert response_for(ROUTES[0], b'{"errorType": "KeyError"}', "Unhandled").status == 500
    binary = {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(b"\x01").decode()}
    assert response_for(ROUTES[0], json.dumps(binary).encode(), None).body == b"\x01"


def test_answer_invokes_the_routes_function_with_the_event():
    calls = []

    def invoke(function: str, payload: bytes) -> tuple[bytes, str | None]:
        calls.append((function, json.loads(payload)))
        return json.dumps({"statusCode": 200, "body": "hi"}).encode(), None

    assert answer(ROUTES, invoke, Request("GET", "/items/9", "", [], b"")).body == b"hi"
    assert calls[0][0] == "items" and calls[0][1]["pathParameters"] == {"id": "9"}
    missing = answer(ROUTES, invoke, Request("GET", "/nope", "", [], b""))
    assert (missing.status, json.loads(missing.body)) == (404, {"message": "Not Found"})
    assert len(calls) == 1


def test_cors_as_api_gateway_answers_it():
    cors = Cors(
        allow_origins=("http://localhost:5173",), allow_methods=("GET", "POST"), allow_headers=("Content-Type",)
    )
    routes = [Route("POST", "/apply", "api", "2.0", "a", cors), Route("GET", "/open", "open", "2.0", "b")]
    calls = []

    def invoke(function: str, payload: bytes) -> tuple[bytes, str | None]:
        calls.append(function)
        return json.dumps({"ok": True}).encode(), None

    asked = [("Origin", "http://localhost:5173"), ("Access-Control-Request-Method", "POST")]
    answered = answer(routes, invoke, Request("OPTIONS", "/apply", "", asked, b""))
    assert answered.status == 204 and calls == []  # a preflight never reaches the function
    assert ("Access-Control-Allow-Origin", "http://localhost:5173") in answered.headers
    assert ("Access-Control-Allow-Headers", "Content-Type") in answered.headers
    other = [("Origin", "http://elsewhere"), ("Access-Control-Request-Method", "POST")]
    assert not answer(routes, invoke, Request("OPTIONS", "/apply", "", other, b"")).headers
    posted = answer(routes, invoke, Request("POST", "/apply", "", [("Origin", "http://localhost:5173")], b"{}"))
    assert ("Access-Control-Allow-Origin", "http://localhost:5173") in posted.headers and calls == ["api"]
    plain = answer(routes, invoke, Request("GET", "/open", "", [("Origin", "http://localhost:5173")], b""))
    assert all(name != "Access-Control-Allow-Origin" for name, _ in plain.headers)  # that API has no CORS
