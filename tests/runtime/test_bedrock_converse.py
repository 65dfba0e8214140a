"""bedrock-runtime Converse on the local runtime: a real boto3 client, answered by the local screening model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from domain.training.models import TrainingRequest
from domain.training.screening import build_prompt, parse_answer
from duoflow.runtime import LocalRuntime
from services.scorer import BedrockScorer, LocalScorer, local_converse
from services.scorer.local_model import MODEL_ID as LOCAL_MODEL_ID

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "training"


def demo_request(case: str) -> TrainingRequest:
    document = json.loads((SCENARIOS / f"{case}.json").read_text())
    return TrainingRequest(request_id=f"test-{case}", **document["request"])


@pytest.fixture(autouse=True)
def local_model_answers(runtime: LocalRuntime) -> None:
    runtime.serve_converse(local_converse.converse)  # as duoflow's deployment does (duoflow/stack.py)


@pytest.fixture(scope="module")
def bedrock(runtime: LocalRuntime) -> Any:
    return runtime.client("bedrock-runtime")


def test_converse_answers_with_the_response_shape_and_the_local_models_json(bedrock: Any) -> None:
    request = demo_request("junior-developer")
    prompt = build_prompt(request)
    response = bedrock.converse(
        modelId="global.anthropic.claude-sonnet-4-6",
        system=[{"text": prompt.system}],
        messages=[{"role": "user", "content": [{"text": prompt.user}]}],
        inferenceConfig={"maxTokens": 400, "temperature": 0},
    )
    assert response["stopReason"] == "end_turn"
    assert response["additionalModelResponseFields"] == {"answered_by": LOCAL_MODEL_ID}
    assert response["output"]["message"]["role"] == "assistant"
    usage = response["usage"]
    assert usage["inputTokens"] > 0 and usage["outputTokens"] > 0
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert response["metrics"]["latencyMs"] >= 1
    answer = parse_answer(response["output"]["message"]["content"][0]["text"])
    local = LocalScorer().score(request)
    assert (answer.score, answer.rationale) == (local.score, local.rationale)


def test_the_bedrock_scorer_runs_locally_through_converse(runtime: LocalRuntime) -> None:
    scorer = BedrockScorer(runtime.client("bedrock-runtime"), "anthropic.claude-test:0", sleep=lambda _: None)
    for case in ("driver", "senior-developer"):
        request = demo_request(case)
        screening = scorer.score(request)
        assert screening.model_id == LOCAL_MODEL_ID  # the model that scored, not the one asked for
        assert screening.score == LocalScorer().score(request).score


def test_a_reask_conversation_is_answered_from_the_first_message(bedrock: Any) -> None:
    prompt = build_prompt(demo_request("accountant"))
    response = bedrock.converse(
        modelId="m",
        messages=[
            {"role": "user", "content": [{"text": prompt.user}]},
            {"role": "assistant", "content": [{"text": "about 20"}]},
            {"role": "user", "content": [{"text": "Your answer could not be used. Answer with JSON."}]},
        ],
    )
    assert parse_answer(response["output"]["message"]["content"][0]["text"]).score < 50


def test_a_conversation_without_a_training_request_is_refused_by_name(bedrock: Any) -> None:
    with pytest.raises(ClientError) as error:
        bedrock.converse(modelId="m", messages=[{"role": "user", "content": [{"text": "Write me a poem."}]}])
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "training-screening prompts only" in error.value.response["Error"]["Message"]


def test_without_an_answerer_converse_is_refused_by_name(runtime: LocalRuntime) -> None:
    runtime.serve_converse(None)
    with pytest.raises(ClientError) as refused:
        runtime.client("bedrock-runtime").converse(
            modelId="m", messages=[{"role": "user", "content": [{"text": "hello"}]}]
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "no model answers Converse on this local runtime (m)" in str(refused.value)
    runtime.serve_converse(local_converse.converse)
