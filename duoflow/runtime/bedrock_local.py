"""Amazon Bedrock ``Converse`` inside moto's interception, answered by whatever the deployment gives the runtime.

moto 5.2.5 knows the ``bedrock-runtime`` endpoint but not Converse. The runtime puts this module's route for
``POST /model/{modelId}/converse`` in front of moto's own ``bedrock-runtime`` routes
(duoflow/runtime/patches/moto_bedrock.py), so a plain
``boto3.client("bedrock-runtime").converse(...)`` — a Lambda handler's, or a test's — gets an answer with
Converse's response shape from the answerer given to ``LocalRuntime.serve_converse`` (duoflow's deployment gives
the local screening model: services/scorer/local_converse.py), whatever the model id. Without one, Converse is a
``ValidationException`` saying so. The runtime itself knows no model and no prompt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

# (model id, request body) → (200, Converse response) or (4xx, {"type", "message"})
Answerer = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]
_answerer: Answerer | None = None

CONVERSE_PATH = r"{0}/model/(?P<model_id>[^/]+)/converse$"


def answer_with(answerer: Answerer | None) -> None:
    global _answerer
    _answerer = answerer


def converse_route(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
    """A moto URL handler: ``(request, full_url, headers) -> (status, headers, body)``."""
    raw = request.get_data() if hasattr(request, "get_data") else getattr(request, "body", b"")
    model_id = unquote(full_url.rstrip("/").split("/")[-2])
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError:
        return _error(400, "ValidationException", "the request body is not JSON")
    if _answerer is None:
        return _error(400, "ValidationException", f"no model answers Converse on this local runtime ({model_id})")
    status, payload = _answerer(model_id, body)
    if status != 200:
        return _error(status, payload["type"], payload["message"])
    return 200, {"content-type": "application/json"}, json.dumps(payload).encode()


def _error(status: int, error_type: str, message: str) -> tuple[int, dict[str, str], bytes]:
    headers = {"content-type": "application/json", "x-amzn-ErrorType": error_type}  # botocore reads the code here
    return status, headers, json.dumps({"message": message}).encode()
