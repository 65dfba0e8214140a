"""Browser tests: the console served on a free port in this process (local stack, time scaled), driven in
headless Debian Chromium through Playwright's Python API. Screenshots go to tests/ui/artifacts/ (gitignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from duoflow.console.server import running_console
from duoflow.console.tokens import TokenSigner
from duoflow.function_logs import function_logs_file
from duoflow.runtime import LocalRuntime, TimeControl
from duoflow.stack import local_stack

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# The manager has 90 s, HR 3.6 h: runs left waiting by one test (Alice on every variant) are still waiting when a
# later test reads them on a busy 2-core CI machine; no browser test waits for a timeout to fire.
TIME_CONTROL = TimeControl.scaled(0.001, timeouts=0.05)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    state = tmp_path_factory.mktemp("runtime")
    with local_stack(TIME_CONTROL, state_dir=state, function_logs=function_logs_file(state)) as running:  # as serve
        yield running


@pytest.fixture(scope="module")
def signer() -> TokenSigner:
    return TokenSigner.for_this_run()


@pytest.fixture(scope="module")
def base_url(runtime: LocalRuntime, signer: TokenSigner) -> Iterator[str]:
    with running_console(runtime, signer) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser, base_url: str, request: pytest.FixtureRequest):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, base_url=base_url)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # The server's Content-Security-Policy blocks inline script and style: a violation is a bug in static/.
    opened.on("console", lambda message: _csp_violation(message, errors))
    yield opened
    ARTIFACTS.mkdir(exist_ok=True)
    opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _csp_violation(message, errors: list[str]) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        errors.append(message.text)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, signer: TokenSigner, role: str) -> None:
    """Pick the role in "Acting as" and paste its token, as a person does with the tokens make serve prints."""
    page.select_option("#role", role)
    page.fill("#token-input", signer.role_token(role))
    page.click("#token-save")
    page.wait_for_selector("#token-dialog", state="hidden")
