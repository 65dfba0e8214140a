"""The Amazon Bedrock adapter: the Converse API with a JSON-answer prompt, backoff on throttling, one re-ask.

On the local runtime the same code runs against the runtime's Converse route, which answers with the local model
(duoflow/runtime/bedrock_local.py), so this path is exercised offline too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

from domain.training.models import Screening, TrainingRequest
from domain.training.screening import MalformedAnswer, build_prompt, corrective_message, parse_answer
from services.common.log import logger
from services.scorer.interface import ScreeningFailed

MODEL_ID_SETTING = "SCORER_MODEL_ID"
# Claude Sonnet 4.6 (the seed article's model) through the global cross-region inference profile: Claude 4.x models
# are invoked through an inference profile, not the bare foundation-model id.
DEFAULT_MODEL_ID = "global.anthropic.claude-sonnet-4-6"

# Worth another try after a pause: the service said so. Anything else (access denied, bad model id, validation)
# fails at once: retrying cannot fix it.
RETRYABLE_ERRORS = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException", "InternalServerException"}
)
MAX_ATTEMPTS = 5  # per model call; the pauses before attempts 2..5 are 0.5, 1, 2, 4 s
BASE_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 8.0
MAX_ANSWER_TOKENS = 400
# A Converse answer's additionalModelResponseFields key naming the model that really answered, when it is not the
# one asked: the local runtime's Converse (services/scorer/local_converse.py) names its local model there, so the
# progress log and the audit trail never credit a Bedrock model with a local score.
ANSWERED_BY = "answered_by"


class BedrockScorer:
    def __init__(
        self,
        client: Any,
        model_id: str = DEFAULT_MODEL_ID,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        base_delay: float = BASE_DELAY_SECONDS,
        max_delay: float = MAX_DELAY_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.client = client
        self.model_id = model_id
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep

    @classmethod
    def from_environment(cls, client: Any = None, **options: Any) -> BedrockScorer:
        """Model id from SCORER_MODEL_ID (default: :data:`DEFAULT_MODEL_ID`). botocore's own retries are turned
        off so that this class owns the backoff (and tests can skip its pauses)."""
        if client is None:
            import boto3

            client = boto3.client(
                "bedrock-runtime",
                config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=120),
            )
        return cls(client, os.environ.get(MODEL_ID_SETTING) or DEFAULT_MODEL_ID, **options)

    def score(self, request: TrainingRequest) -> Screening:
        prompt = build_prompt(request)
        messages: list[dict[str, Any]] = [_message("user", prompt.user)]
        reply, answered_by = self._converse(prompt.system, messages)
        try:
            answer = parse_answer(reply)
        except MalformedAnswer as first:
            # One re-ask, with the model's own answer and what was wrong with it in the conversation.
            logger.warning("model %s gave an unusable screening, asking once more: %s", self.model_id, first)
            messages += [_message("assistant", reply or "(empty)"), _message("user", corrective_message(first))]
            second_reply, answered_by = self._converse(prompt.system, messages)
            try:
                answer = parse_answer(second_reply)
            except MalformedAnswer as second:
                logger.warning("model %s gave no usable screening after one re-ask: %s", self.model_id, second)
                raise ScreeningFailed(
                    f"model {self.model_id} gave no usable screening after one re-ask: first answer: {first}; "
                    f"second answer: {second}"
                ) from second
        screening = Screening(score=answer.score, rationale=answer.rationale, model_id=answered_by or self.model_id)
        logger.info("screened by %s: score %d", screening.model_id, screening.score)
        return screening

    def _converse(self, system: str, messages: list[dict[str, Any]]) -> tuple[str, str | None]:
        """One model call, retried with exponential backoff while the service is throttling or unavailable; returns
        the reply's text (empty when it holds none, which the parser then refuses) and the model that answered when
        the service names one other than the one asked (the local runtime's Converse names its local model)."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.client.converse(
                    modelId=self.model_id,
                    system=[{"text": system}],
                    messages=messages,
                    inferenceConfig={"maxTokens": MAX_ANSWER_TOKENS, "temperature": 0},
                )
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in RETRYABLE_ERRORS:
                    raise ScreeningFailed(
                        f"model {self.model_id} refused the screening call: {code}: {error}"
                    ) from error
                last = f"{code}: {error.response.get('Error', {}).get('Message', '')}"
            except (ConnectionError, ReadTimeoutError) as error:
                last = f"{type(error).__name__}: {error}"
            else:
                return _reply_text(response), _answered_by(response)
            if attempt < self.max_attempts:
                pause = self.backoff(attempt)
                logger.warning(
                    "model %s unavailable on attempt %d of %d (%s); again in %g s",
                    self.model_id,
                    attempt,
                    self.max_attempts,
                    last,
                    pause,
                )
                self._sleep(pause)
        raise ScreeningFailed(
            f"model {self.model_id} stayed unavailable after {self.max_attempts} attempts (last: {last})"
        )

    def backoff(self, attempt: int) -> float:
        """The pause after failed attempt ``attempt`` (1-based): doubling from ``base_delay``, capped."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


def _message(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [{"text": text}]}


def _answered_by(response: dict[str, Any]) -> str | None:
    fields = response.get("additionalModelResponseFields")
    answered_by = fields.get(ANSWERED_BY) if isinstance(fields, dict) else None
    return answered_by if isinstance(answered_by, str) and answered_by else None


def _reply_text(response: dict[str, Any]) -> str:
    content = response.get("output", {}).get("message", {}).get("content", [])
    return "".join(block["text"] for block in content if isinstance(block, dict) and "text" in block)
