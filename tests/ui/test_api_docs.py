"""The API's reference page (/api-docs) in the browser: Swagger UI from the Powertools package, under the console's
Content-Security-Policy (the page fixture fails on a violation or a script error), nothing loaded from another
host; "Try it out" reaches the API through the console (the schema's server is relative: /api here) and shows its
400, and a role's token pasted under "Authorize" opens a route that needs it."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import expect

from services.api.routes import MANAGER_ROLE, ROUTES
from tests.ui.conftest import shot


def operation(page, method: str, path: str):
    return page.locator(f".opblock-{method.lower()}").filter(has=page.locator(".opblock-summary-path", has_text=path))


def test_the_reference_page_lists_every_route_and_tries_them_against_the_api(page, base_url, signer):
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    page.goto("/#/loan")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="HTTP API").click()
    page.wait_for_url(f"{base_url}/api-docs")
    expect(page.locator(".info .title")).to_contain_text("duoflow HTTP API")
    documented = [route for route in ROUTES if route.path != "/openapi.json"]
    expect(page.locator(".opblock")).to_have_count(len(documented))
    for route in documented:
        expect(operation(page, route.method, route.path).first).to_be_visible()
    shot(page, "api-docs")

    apply = operation(page, "POST", "/apply").first
    apply.locator(".opblock-summary").click()
    apply.get_by_role("button", name="Try it out").click()
    apply.locator("textarea.body-param__text").fill("{}")
    apply.get_by_role("button", name="Execute").click()
    expect(apply.locator(".request-url")).to_contain_text(f"{base_url}/api/apply")
    answered = apply.locator(".live-responses-table .response")
    expect(answered.locator(".response-col_status")).to_contain_text("400")
    expect(answered.locator(".response-col_description")).to_contain_text('"rule": "is required"')
    shot(page, "api-docs-try-apply")

    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".modal-ux input[type=text]").fill(signer.role_token(MANAGER_ROLE))
    page.locator(".modal-ux button.authorize").click()  # "Apply credentials"
    page.locator(".modal-ux button.btn-done").click()
    approvals = operation(page, "GET", "/approvals").first
    approvals.locator(".opblock-summary").click()
    approvals.get_by_role("button", name="Try it out").click()
    approvals.get_by_role("button", name="Execute").click()
    listed = approvals.locator(".live-responses-table .response")
    expect(listed.locator(".response-col_status")).to_contain_text("200")
    expect(listed.locator(".response-col_description")).to_contain_text('"approvals"')

    assert hosts == {urlparse(base_url).netloc}, f"the page reached other hosts: {hosts}"
