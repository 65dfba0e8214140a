"""The Bedrock adapter against botocore's Stubber (moto has no Converse): answers, backoff, the one re-ask."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from domain.training.models import TrainingRequest
from services.scorer import BedrockScorer, ScreeningFailed
from services.scorer.bedrock import DEFAULT_MODEL_ID, MODEL_ID_SETTING

REQUEST = TrainingRequest(
    request_id="req-1",
    employee_id="E-1",
    employee_name="Ada Example",
    employee_email="ada@example.com",
    job_role="Junior Software Developer",
    job_description="Writes Python services and unit tests.",
    training_title="Test-Driven Development in Python",
    training_description="pytest, mocking, refactoring.",
    provider="CodeCraft",
    cost=650.0,
)
MODEL = "test.model-v1"


def reply(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 100, "outputTokens": 20, "totalTokens": 120},
        "metrics": {"latencyMs": 300},
    }


@pytest.fixture
def client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def pauses() -> list[float]:
    return []


@pytest.fixture
def scorer(client: Any, pauses: list[float]) -> BedrockScorer:
    return BedrockScorer(client, MODEL, sleep=pauses.append)


def expect(stub: Stubber, text: str) -> None:
    stub.add_response(
        "converse", reply(text), {"modelId": MODEL, "system": ANY, "messages": ANY, "inferenceConfig": ANY}
    )


def expect_error(stub: Stubber, code: str, status: int = 429) -> None:
    stub.add_client_error("converse", service_error_code=code, service_message="slow down", http_status_code=status)


def test_good_answer(stub: Stubber, scorer: BedrockScorer, pauses: list[float]) -> None:
    expect(stub, '{"score": 91, "rationale": "Testing skills are core to the job."}')
    screening = scorer.score(REQUEST)
    assert (screening.score, screening.rationale, screening.model_id) == (
        91,
        "Testing skills are core to the job.",
        MODEL,
    )
    assert pauses == []


def test_fenced_answer(stub: Stubber, scorer: BedrockScorer) -> None:
    expect(stub, 'Assessment:\n```json\n{"score": 55, "rationale": "Partly related."}\n```')
    assert scorer.score(REQUEST).score == 55


def test_the_call_carries_the_prompt_and_asks_for_a_short_deterministic_answer(client: Any) -> None:
    seen: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        seen.append(params)

    client.meta.events.register("provide-client-params.bedrock-runtime.Converse", capture)
    with Stubber(client) as stub:
        expect(stub, '{"score": 80, "rationale": "ok"}')
        BedrockScorer(client, MODEL, sleep=lambda _: None).score(REQUEST)
    (params,) = seen
    assert params["modelId"] == MODEL
    assert "score from 0 to 100" in params["system"][0]["text"].lower()
    assert "Test-Driven Development in Python" in params["messages"][0]["content"][0]["text"]
    assert params["inferenceConfig"]["temperature"] == 0


def test_throttling_then_success_backs_off_without_sleeping(
    stub: Stubber, scorer: BedrockScorer, pauses: list[float]
) -> None:
    expect_error(stub, "ThrottlingException")
    expect_error(stub, "ServiceUnavailableException", 503)
    expect(stub, '{"score": 80, "rationale": "ok"}')
    assert scorer.score(REQUEST).score == 80
    assert pauses == [0.5, 1.0]


def test_throttled_on_every_attempt_fails_clearly(stub: Stubber, client: Any, pauses: list[float]) -> None:
    scorer = BedrockScorer(client, MODEL, max_attempts=3, sleep=pauses.append)
    for _ in range(3):
        expect_error(stub, "ThrottlingException")
    with pytest.raises(ScreeningFailed, match="stayed unavailable after 3 attempts.*ThrottlingException"):
        scorer.score(REQUEST)
    assert pauses == [0.5, 1.0]


def test_backoff_doubles_and_is_capped(scorer: BedrockScorer) -> None:
    assert [scorer.backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_non_retryable_error_fails_at_once(stub: Stubber, scorer: BedrockScorer, pauses: list[float]) -> None:
    expect_error(stub, "AccessDeniedException", 403)
    with pytest.raises(ScreeningFailed, match="refused the screening call: AccessDeniedException"):
        scorer.score(REQUEST)
    assert pauses == []


def test_malformed_then_reask_succeeds(client: Any) -> None:
    seen: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.bedrock-runtime.Converse", lambda params, **_: seen.append(params)
    )
    with Stubber(client) as stub:
        expect(stub, "It is a strong match, I would say 85 out of 100.")
        expect(stub, '{"score": 85, "rationale": "Strong match."}')
        screening = BedrockScorer(client, MODEL, sleep=lambda _: None).score(REQUEST)
        stub.assert_no_pending_responses()
    assert screening.score == 85
    second = seen[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"][0]["text"] == "It is a strong match, I would say 85 out of 100."
    assert "could not be used" in second[2]["content"][0]["text"]


def test_malformed_twice_fails_without_guessing(stub: Stubber, scorer: BedrockScorer) -> None:
    expect(stub, "I would say 85 out of 100.")
    expect(stub, '{"score": 85.5, "rationale": "Strong."}')
    with pytest.raises(ScreeningFailed, match="no usable screening after one re-ask.*85.5") as failure:
        scorer.score(REQUEST)
    assert type(failure.value).__name__ == "ScreeningFailed"  # the name the workflows catch


def test_empty_reply_counts_as_malformed(stub: Stubber, scorer: BedrockScorer) -> None:
    empty = reply("")
    empty["output"]["message"]["content"] = []
    stub.add_response("converse", empty)
    expect(stub, '{"score": 30, "rationale": "Unrelated."}')
    assert scorer.score(REQUEST).score == 30


def test_model_id_from_the_environment(monkeypatch: pytest.MonkeyPatch, client: Any) -> None:
    monkeypatch.setenv(MODEL_ID_SETTING, "eu.anthropic.claude-sonnet-4-6")
    assert BedrockScorer.from_environment(client).model_id == "eu.anthropic.claude-sonnet-4-6"
    monkeypatch.delenv(MODEL_ID_SETTING)
    assert BedrockScorer.from_environment(client).model_id == DEFAULT_MODEL_ID


def test_a_service_that_names_the_model_that_answered_is_credited_with_the_screening(
    stub: Stubber, scorer: BedrockScorer
) -> None:
    answered = {
        **reply('{"score": 60, "rationale": "Adjacent."}'),
        "additionalModelResponseFields": {"answered_by": "local/x"},
    }
    stub.add_response("converse", answered, {"modelId": MODEL, "system": ANY, "messages": ANY, "inferenceConfig": ANY})
    assert scorer.score(REQUEST).model_id == "local/x"
