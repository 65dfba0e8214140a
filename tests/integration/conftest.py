"""The integration tier: the whole hybrid on the local runtime, driven through the HTTP API handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from duoflow.api_client import ApiClient, role_claims
from duoflow.runtime import LocalRuntime, TimeControl
from duoflow.stack import local_stack
from services.api.routes import MANAGER_ROLE

# Modelled time × 0.001: the fraud service's 5 s take 5 ms, the manager's 30 minutes 1.8 s. A module that
# runs many applications at once sets TIME_CONTROL with slower timeouts (see TimeControl).
TIME_CONTROL = TimeControl.scaled(0.001)


@pytest.fixture(scope="module")
def runtime(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    time_control = getattr(request.module, "TIME_CONTROL", TIME_CONTROL)
    with local_stack(time_control, state_dir=tmp_path_factory.mktemp("runtime")) as running:
        yield running


@pytest.fixture
def api(runtime: LocalRuntime) -> ApiClient:
    return ApiClient(runtime.client("lambda"))


@pytest.fixture
def manager(api: ApiClient) -> ApiClient:
    """The API called by a signed-in manager (the claims API Gateway's JWT authorizer would pass)."""
    return api.acting_as(role_claims(MANAGER_ROLE, "dana.lee"))
