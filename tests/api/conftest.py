"""The console server's tier: every route through the ASGI app (Starlette's TestClient), on a local stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from duoflow.console.app import create_app
from duoflow.console.tokens import TokenSigner
from duoflow.runtime import LocalRuntime, TimeControl
from duoflow.stack import local_stack
from services.api.routes import HR_ROLE, MANAGER_ROLE

# Waits at 1/1000 (the fraud service's 5 s take 5 ms); timeouts at 1/100 so a loaded machine does not time out work.
TIME_CONTROL = TimeControl.scaled(0.001, timeouts=0.01)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    with local_stack(TIME_CONTROL, state_dir=tmp_path_factory.mktemp("runtime")) as running:
        yield running


@pytest.fixture(scope="module")
def signer() -> TokenSigner:
    return TokenSigner.for_this_run()


@pytest.fixture(scope="module")
def client(runtime: LocalRuntime, signer: TokenSigner) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, signer)) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def as_manager(signer: TokenSigner) -> dict[str, str]:
    return bearer(signer.role_token(MANAGER_ROLE))


@pytest.fixture(scope="module")
def as_hr(signer: TokenSigner) -> dict[str, str]:
    return bearer(signer.role_token(HR_ROLE))
