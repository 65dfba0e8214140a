"""The execution graph as an on-call engineer opens it (issue 18, item 3): it fits its box with no scrollbar of its
own, zooms and pans (svg-pan-zoom, vendored), draws the path taken including a Catch, and a failed state is in view
when the page opens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from services.api.routes import HR_ROLE
from tests.failed_runs import caught_training_execution, failed_sfn_execution
from tests.ui.conftest import ARTIFACTS, shot, sign_in

VIEWPORT = "#graph svg .svg-pan-zoom_viewport"


@pytest.fixture(scope="module")
def caught_sfn(runtime) -> str:
    if ("bucket", "training-requests") not in runtime.resources:
        pytest.skip("the training scenario is not deployed")
    return caught_training_execution(runtime, "sfn")


@pytest.fixture(scope="module")
def failed_sfn(runtime) -> str:
    return failed_sfn_execution(runtime)


def open_execution(page, signer, arn: str) -> None:
    page.goto("/")
    sign_in(page, signer, HR_ROLE)
    page.goto(f"/#/execution?arn={arn}")
    expect(page.locator(VIEWPORT)).to_be_attached()  # the graph is drawn and svg-pan-zoom holds it


def edge(page, source: str, target: str):
    return page.locator(f"#graph path.edge[data-from='{source}'][data-to='{target}']")


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def in_view(page, selector: str) -> bool:
    """Is the element wholly inside the graph's box and inside the browser's window?"""
    drawn(page)
    box = page.locator(selector).bounding_box()
    window = {"x": 0, "y": 0, **page.viewport_size}
    return inside(box, page.locator("#graph").bounding_box()) and inside(box, window)


def drawn(page) -> None:
    """Wait until the page has drawn what was asked: svg-pan-zoom applies a zoom or a pan at the next animation
    frame."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def matrix(page) -> list[float]:
    """The graph's transform: scale and translation (svg-pan-zoom writes it as matrix(a,b,c,d,e,f))."""
    drawn(page)
    transform = page.locator(VIEWPORT).get_attribute("transform")
    return [float(number) for number in re.match(r"matrix\(([^)]*)\)", transform).group(1).split(",")]


def scale(page) -> float:
    return matrix(page)[0]


def test_a_caught_path_is_drawn_as_taken_and_the_whole_run_is_in_view(page, signer, caught_sfn):
    open_execution(page, signer, caught_sfn)
    expect(page.locator("#graph g.node[data-id='Book Seat']")).to_have_attribute("data-status", "caught")
    caught = edge(page, "Book Seat", "Release Budget")
    expect(caught).to_have_class(re.compile(r"\be-catch\b.*\btaken\b"))
    expect(caught).to_have_class(re.compile(r"\btaken-catch\b"))
    stroke = caught.evaluate("node => getComputedStyle(node).stroke")
    assert stroke == "rgb(192, 86, 33)", stroke  # the caught orange, solid
    for taken in (("Reserve Budget", "Book Seat"), ("Release Budget", "Write Result"), ("__start__", "Record Request")):
        expect(edge(page, *taken)).to_have_class(re.compile(r"\btaken\b"))
    expect(edge(page, "Approved but Enrollment Undone", "__end__")).to_have_class(re.compile(r"\btaken\b"))
    for not_taken in (("Book Seat", "Add to Calendar"), ("Reserve Budget", "Record Enrollment Failure")):
        expect(edge(page, *not_taken)).not_to_have_class(re.compile(r"\btaken\b"))
    # the whole run fits: the caught state and the End are in view, and the graph has no scrollbar of its own
    for node in ("Book Seat", "Release Budget", "__end__", "__start__"):
        assert in_view(page, f"#graph g.node[data-id='{node}']"), node
    assert page.evaluate(
        "(g => g.scrollHeight <= g.clientHeight && g.scrollWidth <= g.clientWidth)(document.querySelector('#graph'))"
    )
    shot(page, "graph-caught-path")

    # closer, on the caught state and its panel: the picture in docs/console/ (copied from tests/ui/artifacts/)
    page.click("#graph-zoom-in")
    page.click("#graph-zoom-in")
    page.click("#graph-focus")
    page.locator("#graph g.node[data-id='Book Seat']").press("Enter")
    expect(page.locator("#selected-status")).to_have_text("caught")
    page.evaluate("document.querySelector('#flash').replaceChildren()")
    drawn(page)
    top, layout = page.locator(".legend").bounding_box(), page.locator(".execution-layout").bounding_box()
    clip = {
        "x": 0,
        "y": top["y"] - 8,
        "width": page.viewport_size["width"],
        "height": layout["y"] + layout["height"] - top["y"] + 16,
    }
    page.screenshot(path=str(ARTIFACTS / "graph-caught-path-docs.png"), clip=clip)


def test_the_buttons_drag_and_ctrl_wheel_zoom_and_pan_the_graph(page, signer, caught_sfn):
    open_execution(page, signer, caught_sfn)
    fitted = matrix(page)
    start = scale(page)
    page.click("#graph-zoom-in")
    assert scale(page) > start * 1.2
    page.click("#graph-zoom-out")
    page.click("#graph-zoom-out")
    assert scale(page) < start
    page.click("#graph-fit")
    assert matrix(page) == pytest.approx(fitted, abs=0.01)

    box = page.locator("#graph").bounding_box()
    x, y = box["x"] + 40, box["y"] + box["height"] / 2  # an empty part of the drawing
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=4)
    page.mouse.up()
    assert matrix(page)[4:] != pytest.approx(fitted[4:], abs=1)  # dragged
    assert scale(page) == pytest.approx(start)

    before = scale(page)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)  # the wheel alone scrolls the page, it does not zoom
    assert scale(page) == pytest.approx(before)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -100)
    page.keyboard.up("Control")
    assert scale(page) > before

    # a state is still a button: clicking it shows its panel
    page.click("#graph-fit")
    page.locator("#graph g.node[data-id='Book Seat']").click()
    expect(page.locator("#selected-status")).to_have_text("caught")


def test_a_failed_state_is_in_view_when_the_page_opens(page, signer, failed_sfn):
    open_execution(page, signer, failed_sfn)
    failed = "#graph g.node[data-id='Application Rejected as Invalid']"
    expect(page.locator(failed)).to_have_attribute("data-status", "failed")
    assert in_view(page, failed)
    expect(page.locator("#graph-focus")).to_have_text("Failed state")
    caught = edge(page, "Record Application", "Application Rejected as Invalid")
    expect(caught).to_have_class(re.compile(r"\btaken-catch\b"))
    shot(page, "graph-failed-in-view")

    page.click("#graph-zoom-in")
    page.click("#graph-zoom-in")
    page.mouse.move(*centre(page.locator("#graph").bounding_box()))
    page.mouse.down()
    page.mouse.move(10, 10, steps=4)  # drag it away
    page.mouse.up()
    page.click("#graph-focus")  # and back
    assert in_view(page, failed)
    page.locator(failed).click()
    expect(page.locator("#selected-status")).to_have_text("failed")


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_an_answer_that_arrives_after_the_page_moved_on_draws_nothing(page, signer, caught_sfn):
    """The execution is asked for, the person goes to another page before the answer comes: the answer must not be
    drawn into the hidden page (a graph fitted into a box of no size has no scale to centre with)."""
    page.goto("/")
    sign_in(page, signer, HR_ROLE)
    held = []

    def hold(route) -> None:
        held.append(route)

    page.route("**/console/api/execution?*", hold)
    with page.expect_request("**/console/api/execution?*"):
        page.goto(f"/#/execution?arn={caught_sfn}")
    page.evaluate("location.hash = '#/manager'")
    expect(page.locator("#view-manager")).to_be_visible()
    with page.expect_response("**/console/api/execution?*") as answered:
        held[0].continue_()
    assert answered.value.ok
    page.unroute("**/console/api/execution?*", hold)
    drawn(page)
    expect(page.locator("#graph svg")).to_have_count(0)
    expect(page.locator("#execution-events")).to_be_hidden()
