"""The HTTP API's reference page: Swagger UI reading ``/api/openapi.json`` (the schema the API Lambda builds,
services/api/openapi.py), at ``/api-docs``.

Swagger UI is the copy Powertools ships for its own ``enable_swagger`` (aws_lambda_powertools/event_handler/
openapi/swagger_ui/), served from the installed package: nothing to vendor, nothing from a CDN, so the page
works offline. Powertools' own page cannot be used here: it writes the schema and Swagger UI's start into an
inline ``<script>``, which the console's Content-Security-Policy refuses (guards.py: scripts from the server's
own files only). This page is static/api-docs.html, started by static/api-docs.js.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

STATIC_DIR = Path(__file__).resolve().parent / "static"


def _swagger_ui_dir() -> Path:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    return Path(swagger_ui.__file__).resolve().parent


SWAGGER_UI_FILES = {
    "swagger-ui-bundle.min.js": _swagger_ui_dir() / "swagger-ui-bundle.min.js",
    "swagger-ui.min.css": _swagger_ui_dir() / "swagger-ui.min.css",
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css"}


def page(request: Request) -> FileResponse:
    return FileResponse(STATIC_DIR / "api-docs.html", headers={"cache-control": "no-cache"})


def swagger_ui_file(request: Request) -> Response:
    name = request.path_params["name"]
    path = SWAGGER_UI_FILES.get(name)
    if path is None:
        return JSONResponse({"message": f"no Swagger UI file {name}"}, status_code=404)
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])
