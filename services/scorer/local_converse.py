"""Amazon Bedrock ``Converse`` answered by the local screening model (services/scorer/local_model.py): what the
local runtime's Converse route (duoflow/runtime/bedrock_local.py) serves on a duoflow deployment (duoflow/stack.py).

It answers screening prompts only (domain/training/screening.py builds them): the request travels in the prompt as a
tagged JSON block, which is read back and scored. Any other conversation gets a ``ValidationException`` saying so.
The answer text is the JSON object the prompt asks for; ``stopReason`` is ``end_turn``;
``additionalModelResponseFields.answered_by`` names the local model (the scorer records it instead of the model asked); ``usage`` counts tokens with
the local model's tokenizer; ``metrics.latencyMs`` is the real scoring time.
"""

from __future__ import annotations

import json
import time
from typing import Any

from domain.training.screening import request_in_prompt


def converse(model_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Converse's answer for one request body: ``(200, response)`` or ``(4xx, {"type", "message"})``."""
    from services.scorer.bedrock import ANSWERED_BY
    from services.scorer.local_model import MODEL_ID, shared_model

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
        "additionalModelResponseFields": {ANSWERED_BY: MODEL_ID},  # what scored it, not the model asked for
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
