"""Complete lists (issue 14, item 5): the console reads every page of Step Functions' list_executions
(nextToken) and of Lambda's list_durable_executions_by_function (NextMarker), with a small page size, and with
the runtime's own default page size (50 durable executions a page) and more executions than one page holds."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from duoflow.api_client import ApiClient
from duoflow.console.app import create_app
from duoflow.console.executions import Executions
from duoflow.runtime import ResourceRef
from duoflow.scenarios import loan_cases
from tests.waiting import wait_until

BOB = loan_cases(["bob"])[0].application  # denied at once: a short run
LIST_CALLS = ("list_executions", "list_durable_executions_by_function")


class CountingClient:
    """A boto3 client that records the list calls made through it."""

    def __init__(self, client: Any, calls: list[tuple[str, dict]]) -> None:
        self._client, self._calls = client, calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in LIST_CALLS:
            return attribute

        def call(**arguments: Any) -> Any:
            self._calls.append((name, arguments))
            return attribute(**arguments)

        return call


def counted_executions(runtime, page_size: int | None) -> tuple[Executions, list[tuple[str, dict]]]:
    calls: list[tuple[str, dict]] = []
    executions = Executions(
        lambda service: CountingClient(runtime.client(service), calls),
        lambda name: runtime.resolve(ResourceRef("state_machine", name, "arn")),
        page_size=page_size,
    )
    return executions, calls


def start(runtime, variant: str, count: int, prefix: str) -> set[str]:
    api = ApiClient(runtime.client("lambda"))
    names = set()
    for index in range(count):
        application_id = f"{prefix}-{variant}-{index}-{uuid.uuid4().hex[:4]}"
        started = api.post("/apply", {**BOB, "application_id": application_id}, {"variant": variant})
        assert started.status == 202, started
        names.add(application_id)
    return names


@pytest.fixture(scope="module")
def three_of_each(runtime) -> dict[str, set[str]]:
    return {variant: start(runtime, variant, 3, "page") for variant in ("sfn", "durable", "hybrid")}


def test_a_page_of_two_reads_every_execution_of_each_kind(runtime, three_of_each):
    executions, calls = counted_executions(runtime, page_size=2)
    for variant, kind, call, continues in (
        ("sfn", "sfn", "list_executions", "nextToken"),
        ("durable", "durable", "list_durable_executions_by_function", "Marker"),
    ):
        listed = executions.list(scenario="loan", variant=variant)
        assert three_of_each[variant] <= {e["name"] for e in listed}
        assert {e["kind"] for e in listed} == {kind}
        assert len({e["arn"] for e in listed}) == len(listed), "no execution listed twice"
        made = [arguments for name, arguments in calls if name == call]
        page_sizes = {arguments.get("maxResults", arguments.get("MaxItems")) for arguments in made}
        assert page_sizes == {2} and any(continues in arguments for arguments in made), made


def test_the_console_endpoint_and_the_nested_durable_runs_read_every_page(runtime, signer, three_of_each):
    console = TestClient(create_app(runtime, signer, page_size=2))
    as_hr = {"authorization": f"Bearer {signer.role_token('hr')}"}
    listed = console.get("/console/api/executions", params={"scenario": "loan"}, headers=as_hr).json()["executions"]
    assert set().union(*three_of_each.values()) <= {e["name"] for e in listed}
    # the hybrid's Task found its durable run among more than one page of loan-assessment executions
    for name in three_of_each["hybrid"]:
        arn = next(e["arn"] for e in listed if e["name"] == name)

        def ended(arn: str = arn) -> dict | None:
            detail = console.get("/console/api/execution", params={"arn": arn}, headers=as_hr).json()
            return detail if detail["status"] != "RUNNING" else None

        detail = wait_until(ended, what=f"{name} to end")
        assert [d["name"] for d in detail["durable"]] == [name]


def test_executions_found_by_name_are_the_listed_ones_of_that_name_without_listing_any(runtime, three_of_each):
    """A status page (a training request's) finds its executions by name: what the list would show for that name,
    without reading every execution's page."""
    executions, calls = counted_executions(runtime, page_size=2)
    wait_until(lambda: not [e for e in executions.list(scenario="loan") if e["status"] == "RUNNING"], what="runs end")
    listed = executions.list(scenario="loan")
    calls.clear()
    for name in set().union(*three_of_each.values()):
        assert executions.named(name, scenario="loan") == [e for e in listed if e["name"] == name] != []
    assert executions.named("nobody-by-this-name", scenario="loan") == []
    assert executions.named("not an ARN's name: / *", scenario="loan") == []
    assert {name for name, _ in calls} == {"list_durable_executions_by_function"}
    assert all("DurableExecutionName" in arguments for _, arguments in calls)


@pytest.mark.slow
def test_more_executions_than_the_runtimes_default_page_are_all_listed(runtime):
    """No page size asked for: the runtime's defaults apply (Lambda's durable list: 50 a page; moto's Step
    Functions list: 100), and the list still reads to the end."""
    durable = start(runtime, "durable", 51, "many")
    sfn = start(runtime, "sfn", 101, "many")
    executions, calls = counted_executions(runtime, page_size=None)
    assert durable <= {e["name"] for e in executions.list(scenario="loan", variant="durable")}
    assert sfn <= {e["name"] for e in executions.list(scenario="loan", variant="sfn")}
    assert all("maxResults" not in arguments and "MaxItems" not in arguments for _, arguments in calls)
    assert any("Marker" in arguments for name, arguments in calls if name == "list_durable_executions_by_function")
    assert any("nextToken" in arguments for name, arguments in calls if name == "list_executions")
    wait_until(
        lambda: not [e for e in executions.list(scenario="loan") if e["status"] == "RUNNING"],
        timeout=60,
        what="every run to end before the runtime stops",
    )
