"""The training flow in the browser: upload a request, see its score and band, review it as HR.

The screening model is swapped for a double that puts every request in the HR review band (62): this test is
about the review round trip, not about the model (docs/scorer.md covers the model's scores)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from domain.training.models import Screening
from services.api.routes import HR_ROLE
from services.common import bootstrap
from tests.ui.conftest import shot, sign_in


class ReviewBandScorer:
    def score(self, request):
        return Screening(
            score=62,
            rationale="Data analysis helps campaign reporting, but SQL is outside the role.",
            model_id="double",
        )


@pytest.fixture
def review_band(monkeypatch, runtime):
    if ("bucket", "training-requests") not in runtime.resources:
        pytest.skip("the training scenario is not deployed")
    monkeypatch.setattr(bootstrap, "_bedrock_scorer", lambda: ReviewBandScorer())


def test_an_hr_review_round_trip(page, signer, review_band):
    page.goto("/#/training")
    page.locator("#training-profiles button[data-case=marketing-specialist]").click()
    page.get_by_role("button", name="Upload request").click()
    page.wait_for_url(re.compile(r"#/training\?id="))
    request_id = re.search(r"id=([^&]+)", page.url).group(1)
    # the employee has no role: the upload is acknowledged, its progress needs a signed-in role
    expect(page.locator("#training-signin")).to_contain_text("Not signed in")
    expect(page.locator("#training-status")).to_have_text("sign in to follow")
    shot(page, "training-uploaded-not-signed-in")

    sign_in(page, signer, HR_ROLE)
    expect(page.locator("#training-status")).to_have_text("awaiting HR review", timeout=30_000)
    expect(page.locator("#training-signin")).to_be_hidden()
    shot(page, "training-awaiting-hr")

    page.goto("/#/hr")
    card = page.locator(f"article[data-request='{request_id}']")
    expect(card.locator(".score")).to_have_text("62")
    expect(card).to_contain_text("SQL is outside the role")
    shot(page, "hr-review-queue")
    card.get_by_label(re.compile("Comment")).fill("useful for campaign reporting")
    card.get_by_role("button", name="Approve").click()
    expect(page.locator("#flash")).to_contain_text(f"Approved {request_id}")

    page.goto(f"/#/training?id={request_id}")
    expect(page.locator("#training-reason")).to_contain_text("Reason:", timeout=30_000)
    expect(page.locator("#training-score .score")).to_have_text("62")
    shot(page, "training-decided")


def test_a_bad_document_is_refused_field_by_field(page, runtime):
    if ("bucket", "training-requests") not in runtime.resources:
        pytest.skip("the training scenario is not deployed")
    page.goto("/#/training")
    page.fill("#training-doc", '{"employee_id": "E-1", "cost": -3}')
    page.get_by_role("button", name="Upload request").click()
    errors = page.locator("#training-errors")
    expect(errors).to_contain_text("employee_name")
    expect(errors).to_contain_text("cost")
