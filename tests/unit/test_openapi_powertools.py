"""What services/api/openapi.py relies on in Powertools (aws-lambda-powertools==3.37.0, pyproject.toml), each on a
resolver of its own: if an upgrade changes one of these, this file fails, not the schema silently.

* a route's ``openapi_extensions`` are merged into its operation as they are, ``requestBody`` and ``parameters``
  included (Powertools documents them for ``x-`` extensions and checks that only at the document's top level);
* with request validation off, the schema still has each route's ``responses`` models, and no 422;
* a ``Path()``-annotated parameter is still filled from the path when validation is off;
* the Swagger UI files the console serves (duoflow/console/api_docs.py) ship inside the Powertools package.
"""

from __future__ import annotations

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel

from duoflow.api_client import http_api_event
from duoflow.console.api_docs import SWAGGER_UI_FILES
from services.api.openapi import answer, path_id, query, request_body


class Form(BaseModel):
    name: str


class Done(BaseModel):
    id: str


def resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()  # enable_validation=False, as services/api/handler.py's

    @app.post(
        "/things/<thing_id>",
        responses={200: answer(Done, "done")},
        openapi_extensions={"requestBody": request_body(Form)},
    )
    def thing(thing_id: Annotated[str, path_id("thing_id")]) -> dict:
        return {"id": thing_id}

    @app.get("/things", openapi_extensions={"parameters": [query("kind", "which", {"type": "string"})]})
    def things() -> dict:
        return {}

    return app


def test_route_extensions_become_the_operations_request_body_and_parameters():
    schema = json.loads(resolver().get_openapi_json_schema())
    operation = schema["paths"]["/things/{thing_id}"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["properties"] == {
        "name": {"title": "Name", "type": "string"}
    }
    assert operation["requestBody"]["required"] is True
    [kind] = schema["paths"]["/things"]["get"]["parameters"]
    assert (kind["name"], kind["in"]) == ("kind", "query")


def test_without_validation_the_responses_models_are_components_and_no_422_is_added():
    schema = json.loads(resolver().get_openapi_json_schema())
    responses = schema["paths"]["/things/{thing_id}"]["post"]["responses"]
    assert set(responses) == {"200"}
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Done"}
    assert "Done" in schema["components"]["schemas"]


def test_a_path_parameter_annotated_for_the_schema_is_still_passed_to_the_handler():
    app = resolver()
    answered = app.resolve(http_api_event("POST", "/things/t-1", "{}"), None)
    assert json.loads(answered["body"]) == {"id": "t-1"}
    [parameter] = json.loads(app.get_openapi_json_schema())["paths"]["/things/{thing_id}"]["post"]["parameters"]
    assert parameter["schema"]["pattern"].startswith("^[A-Za-z0-9]")


def test_the_swagger_ui_files_the_console_serves_are_in_the_powertools_package():
    for name, path in SWAGGER_UI_FILES.items():
        assert path.is_file() and path.stat().st_size > 10_000, name
    assert "SwaggerUIBundle" in SWAGGER_UI_FILES["swagger-ui-bundle.min.js"].read_text()[:2_000_000]
