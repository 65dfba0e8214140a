"""Amazon Bedrock ``Converse``, answered by the local screening model, inside moto's interception.

moto 5.2.5 knows the ``bedrock-runtime`` endpoint but not Converse. This module puts a route for
``POST /model/{modelId}/converse`` in front of moto's own ``bedrock-runtime`` routes, so a plain
``boto3.client("bedrock-runtime").converse(...)`` — the Bedrock scorer inside a Lambda handler, or a test — gets an
answer with Converse's response shape from the local model (services/scorer/local_model.py), whatever the model id.

It answers screening prompts only (domain/training/screening.py builds them): the request travels in the prompt as a
tagged JSON block, which the route reads back and scores. Any other conversation gets a ``ValidationException``
saying so. The answer text is the JSON object the prompt asks for; ``stopReason`` is ``end_turn``; ``usage`` counts
tokens with the local model's tokenizer; ``metrics.latencyMs`` is the real scoring time.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote

from domain.training.screening import request_in_prompt

CONVERSE_PATH = r"{0}/model/(?P<model_id>[^/]+)/converse$"


def install() -> None:
    """Put the Converse route first: moto's catch-all ``{0}/.*$`` would otherwise answer it ("not implemented")."""
    from moto.bedrockruntime import urls

    existing = {k: v for k, v in urls.url_paths.items() if k != CONVERSE_PATH}
    urls.url_paths.clear()
    urls.url_paths[CONVERSE_PATH] = converse_route
    urls.url_paths.update(existing)


def uninstall() -> None:
    from moto.bedrockruntime import urls

    urls.url_paths.pop(CONVERSE_PATH, None)


def converse_route(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
    """A moto URL handler: ``(request, full_url, headers) -> (status, headers, body)``."""
    raw = request.get_data() if hasattr(request, "get_data") else getattr(request, "body", b"")
    model_id = unquote(full_url.rstrip("/").split("/")[-2])
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError:
        return _error(400, "ValidationException", "the request body is not JSON")
    status, payload = converse(model_id, body)
    if status != 200:
        return _error(status, payload["type"], payload["message"])
    return 200, {"content-type": "application/json"}, json.dumps(payload).encode()


def converse(model_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Converse's answer for one request body: ``(200, response)`` or ``(4xx, {"type", "message"})``."""
    from services.scorer.local_model import shared_model

    started = time.perf_counter()
    texts = _user_texts(body.get("messages"))
    if texts is None:
        return 400, {
            "type": "ValidationException",
            "message": "messages must be a non-empty list of user and assistant messages",
        }
    fields = next((f for f in map(request_in_prompt, texts) if f is not None), None)
    if fields is None:
        return 400, {
            "type": "ValidationException",
            "message": f"the local model behind {model_id} answers training-screening prompts only "
            "(domain/training/screening.py builds them); no training request was found in the messages",
        }
    model = shared_model()
    match = model.match(
        fields["job_role"], fields["job_description"], fields["training_title"], fields["training_description"]
    )
    answer = json.dumps({"score": match.score, "rationale": match.rationale})
    system = " ".join(block.get("text", "") for block in body.get("system") or [] if isinstance(block, dict))
    input_tokens = model.token_count(" ".join([system, *texts]))
    output_tokens = model.token_count(answer)
    return 200, {
        "output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
        "stopReason": "end_turn",
        "usage": {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens,
        },
        "metrics": {"latencyMs": max(1, round((time.perf_counter() - started) * 1000))},
    }


def _user_texts(messages: Any) -> list[str] | None:
    if not isinstance(messages, list) or not messages:
        return None
    texts = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return None
        if message["role"] == "user":
            texts += [
                block["text"] for block in message.get("content") or [] if isinstance(block, dict) and "text" in block
            ]
    return texts


def _error(status: int, error_type: str, message: str) -> tuple[int, dict[str, str], bytes]:
    headers = {"content-type": "application/json", "x-amzn-ErrorType": error_type}  # botocore reads the code here
    return status, headers, json.dumps({"message": message}).encode()
