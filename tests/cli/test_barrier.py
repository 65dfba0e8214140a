"""Nothing acknowledged is lost: every 2xx answer to a request that changes state leaves the console only after
``runtime.journal.barrier()`` has returned; reads, refusals and a runtime without a journal do not wait for it.
Through the real app (create_app, the API Gateway stand-in, the console's upload), on a stand-in runtime."""

from __future__ import annotations

import io
import json
import threading
from types import SimpleNamespace

import pytest
from starlette.testclient import TestClient

from duoflow.console.app import TRAINING_BUCKET, create_app
from duoflow.console.tokens import TokenSigner
from duoflow.scenarios import SCENARIOS_DIR


class Journal:
    def __init__(self) -> None:
        self.barriers = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fails = False

    def barrier(self) -> None:
        self.entered.set()
        assert self.release.wait(10)
        if self.fails:
            raise OSError(28, "No space left on device")
        self.barriers += 1


class Lambda:
    """The duoflow-api function: answers every event with ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.events: list[dict] = []

    def invoke(self, FunctionName: str, Payload: str) -> dict:
        self.events.append(json.loads(Payload))
        answer = {"statusCode": self.status, "body": json.dumps({"ok": True})}
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())}


@pytest.fixture
def runtime() -> SimpleNamespace:
    clients = {
        "lambda": Lambda(),
        "s3": SimpleNamespace(put_object=lambda **arguments: {}),
        "dynamodb": SimpleNamespace(put_item=lambda **arguments: {}),  # the upload binds its request id first
    }
    return SimpleNamespace(
        journal=Journal(), client=clients.__getitem__, resources={("bucket", TRAINING_BUCKET): {"name": "x"}}
    )


@pytest.fixture
def client(runtime) -> TestClient:
    with TestClient(create_app(runtime, TokenSigner.for_this_run()), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_2xx_answer_to_a_submission_is_sent_only_after_the_barrier(client, runtime):
    journal, api = runtime.journal, runtime.client("lambda")
    api.status = 202
    journal.release.clear()
    answers = []
    request = threading.Thread(target=lambda: answers.append(client.post("/api/apply", json={"a": 1})))
    request.start()
    assert journal.entered.wait(10), "the barrier was not run"
    request.join(timeout=0.3)
    assert request.is_alive() and not answers, "the answer left before the barrier returned"
    journal.release.set()
    request.join(timeout=10)
    assert answers[0].status_code == 202 and answers[0].json() == {"ok": True}
    assert journal.barriers == 1 and api.events[0]["requestContext"]["http"]["method"] == "POST"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_every_state_changing_method_waits_for_the_barrier(client, runtime, method):
    response = client.request(method, "/api/approve/app-1", json={"decision": "approve"})
    assert response.status_code == 200 and runtime.journal.barriers == 1


def test_reads_and_refusals_do_not_wait_for_it(client, runtime):
    assert client.get("/api/status/app-1").status_code == 200
    for status in (400, 404, 409, 500):
        runtime.client("lambda").status = status
        assert client.post("/api/apply", json={}).status_code == status
    assert client.post("/api/apply", headers={"authorization": "Bearer nonsense"}).status_code == 401
    assert runtime.journal.barriers == 0


def test_the_training_upload_waits_for_it_too(client, runtime):
    document = json.loads(next((SCENARIOS_DIR / "training").glob("*.json")).read_text())["request"]
    response = client.post("/console/api/training/requests", json={"request": document, "request_id": "tr-1"})
    assert response.status_code == 202, response.text
    assert runtime.journal.barriers == 1


def test_when_the_barrier_fails_the_client_gets_no_acknowledgement(client, runtime):
    runtime.journal.fails = True
    assert client.post("/api/apply", json={}).status_code == 500


def test_a_runtime_without_a_journal_answers_at_once(runtime):
    del runtime.journal
    with TestClient(create_app(runtime, TokenSigner.for_this_run())) as test_client:
        assert test_client.post("/api/apply", json={}).status_code == 200
