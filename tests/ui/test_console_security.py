"""The console in a real browser, for what it must not show (issue 14, item 4): nothing about executions without a
role (the views say how to sign in), no SIN digits or income for the hr role, and never a task token or a
callback id, in the page or in anything the page fetched."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from duoflow.api_client import ApiClient
from duoflow.scenarios import loan_cases
from services.api.routes import HR_ROLE, MANAGER_ROLE
from tests.api.test_console_security import live_secrets
from tests.ui.conftest import shot
from tests.ui.test_console import apply_as
from tests.waiting import wait_until

ALICE = loan_cases(["alice"])[0].application
SIN, INCOME = re.compile(r'\\*"1111\\*"|>1111<'), re.compile(r"(?<![\d.,$])180,?000(?![\d])")


@pytest.fixture(scope="module")
def alice_waiting(runtime) -> dict[str, tuple[str, str]]:
    """Alice on each variant, waiting for a manager: variant → (application id, execution ARN)."""
    api = ApiClient(runtime.client("lambda"))
    runs = {}
    for variant in ("hybrid", "sfn", "durable"):
        application_id = f"ui-sec-{variant}-{uuid.uuid4().hex[:6]}"
        started = api.post("/apply", {**ALICE, "application_id": application_id}, {"variant": variant})
        assert started.status == 202, started
        wait_until(
            lambda application_id=application_id: api.get(f"/status/{application_id}").body.get("awaiting_manager"),
            what=f"Alice ({variant}) waiting for a manager",
        )
        arn = durable_arn(runtime, application_id) if variant == "durable" else started.body["execution_arn"]
        runs[variant] = (application_id, arn)
    return runs


def durable_arn(runtime, name: str) -> str:
    listed = runtime.client("lambda").list_durable_executions_by_function(
        FunctionName="loan-workflow", DurableExecutionName=name
    )
    return listed["DurableExecutions"][0]["DurableExecutionArn"]


def fetched(page) -> list:
    """Every answer of the server's APIs the page receives from now on."""
    answers: list = []
    page.on("response", lambda response: answers.append(response) if "/api/" in response.url else None)
    return answers


def bodies(answers) -> list[str]:
    return [answer.text() for answer in answers]


def read_everything(page, arn: str) -> list[str]:
    """Open the execution and every state and durable operation in it, as a curious person would; the texts."""
    page.goto(f"/#/execution?arn={arn}")
    expect(page.locator("#execution-status")).to_be_visible()
    texts = []
    for node in page.locator("#graph g.node[data-id]").all():
        node.press("Enter")  # by keyboard: some nodes sit under an edge's label
        texts.append(page.locator("#state-panel").inner_text())
    for op in page.locator("section.timeline tr.op").all():
        op.press("Enter")
        texts.append(op.locator("xpath=ancestor::section[1]").locator(".op-detail").inner_text())
    return texts + [page.content()]


def test_not_signed_in_no_execution_data_is_shown(page, runtime, alice_waiting):
    answers = fetched(page)
    application_id = apply_as(page, "alice")
    expect(page.locator("#loan-status")).to_have_text("waiting for a manager", timeout=20_000)
    page.click("#loan-execution-link")  # without a role it cannot point at the execution
    notice = page.locator("#executions-signin")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Not signed in")
    expect(notice).to_contain_text("sign-in link that duoflow serve printed")
    expect(page.locator("#executions tr")).to_have_count(0)
    shot(page, "executions-not-signed-in")

    page.goto(f"/#/execution?arn={alice_waiting['hybrid'][1]}")
    expect(page.locator("#execution-error")).to_contain_text("Not signed in")
    expect(page.locator("#graph")).to_be_empty()
    expect(page.locator("#durable")).to_be_empty()
    expect(page.locator(".execution-layout")).to_be_hidden()
    shot(page, "execution-not-signed-in")
    execution_data = ("/console/api/execution", "/console/api/durable", "/console/api/training/requests/")
    assert not [a.url for a in answers if a.ok and any(path in a.url for path in execution_data)]
    assert not [text for text in bodies(answers) if application_id in text and "sin_last4" in text]
    # and the server itself refuses the page's own fetch without a token
    status = page.evaluate("async () => (await fetch('/console/api/executions')).status")
    assert status == 401


def test_signed_in_as_hr_the_page_shows_no_sin_or_income(page, signer, alice_waiting):
    answers = fetched(page)
    page.goto(f"/#/loan?token={signer.role_token(HR_ROLE)}")  # the sign-in link `duoflow serve` prints
    expect(page.locator("#role")).to_have_value(HR_ROLE)
    texts = []
    for _, arn in alice_waiting.values():
        texts += read_everything(page, arn)
    page.goto(f"/#/execution?arn={alice_waiting['hybrid'][1]}")
    page.locator("#graph g.node[data-id='Assess Credit and Fraud']").press("Enter")
    expect(page.locator("#state-panel")).to_contain_text('"sin_last4": "redacted"')
    shot(page, "execution-as-hr")
    # the demo profiles (/console/api/cases) are the repository's sample inputs, open to anyone: not an applicant's
    seen = texts + bodies(a for a in answers if "/console/api/cases" not in a.url)
    assert not [text for text in seen if SIN.search(text)], "the SIN digits reached the page"
    assert not [text for text in seen if INCOME.search(text)], "the income reached the page"
    assert any('"sin_last4": "redacted"' in text for text in texts), "the state inputs show what was withheld"
    assert any("Alice Johnson" in text for text in texts), "the rest of the application is shown"


def test_the_page_never_holds_a_task_token_or_callback_id(page, runtime, signer, alice_waiting):
    secrets = live_secrets(runtime, alice_waiting)
    answers = fetched(page)
    page.goto(f"/#/loan?token={signer.role_token(MANAGER_ROLE)}")
    expect(page.locator("#role")).to_have_value(MANAGER_ROLE)
    texts = []
    for _, arn in alice_waiting.values():
        texts += read_everything(page, arn)
    page.goto("/#/manager")
    expect(page.locator(f"article[data-application='{alice_waiting['hybrid'][0]}']")).to_be_visible()
    page.goto("/#/executions")
    expect(page.locator("#executions tr.link").first).to_be_visible()
    texts.append(page.content())
    seen = texts + bodies(answers)
    assert any(SIN.search(text) for text in texts), "a manager does see the SIN digits"
    leaked = [secret for secret in secrets if any(secret in text for text in seen)]
    assert not leaked, f"{len(leaked)} task token(s) or callback id(s) reached the browser"
