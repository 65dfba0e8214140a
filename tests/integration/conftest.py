"""The integration tier: the whole hybrid on the local runtime, driven through the HTTP API handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from duoflow.api_client import ApiClient
from duoflow.runtime import LocalRuntime, TimeControl
from duoflow.stack import local_stack

# Modelled time × 0.001: the fraud service's 5 s take 5 ms, the manager's 30 minutes 1.8 s.
TIME_SCALE = 0.001


@pytest.fixture(scope="package")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    with local_stack(TimeControl.scaled(TIME_SCALE), state_dir=tmp_path_factory.mktemp("runtime")) as running:
        yield running


@pytest.fixture
def api(runtime: LocalRuntime) -> ApiClient:
    return ApiClient(runtime.client("lambda"))
