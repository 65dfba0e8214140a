"""How the durable store's cost grows with an execution's size: one durable map of N items, each a step returning K KB,
on the local runtime with its SQLite store (what `duoflow serve` runs), for each N x K given.

    PYTHONPATH=. python scripts/durable_map_bench.py                  # 50x100 100x100 200x10 400x10 800x1
    PYTHONPATH=. python scripts/durable_map_bench.py 1000x1 2000x1    # your own sizes

Prints a line per size (wall and CPU seconds, the store file's size) and writes them to
test-artifacts/bench/durable-map.json. A store that rewrote the whole execution at every checkpoint cost the square
of the execution's size (400 x 10 KB: 9.0 s on 2026-12-04); one that writes what changed, 1.6 s.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from aws_durable_execution_sdk_python.config import MapConfig
from aws_durable_execution_sdk_python.context import DurableContext
from aws_durable_execution_sdk_python.execution import durable_execution

from catalog.functions import FunctionSpec
from duoflow.runtime import LocalRuntime, TimeControl
from duoflow.runtime.saved_state import DURABLE_STORE_FILE

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "test-artifacts" / "bench" / "durable-map.json"
SIZES = ("50x100", "100x100", "200x10", "400x10", "800x1")
POLL_SECONDS = 0.02


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    data = "A" * 1024 * event["kb"]
    results = context.map(
        inputs=list(range(event["items"])),
        func=lambda ctx, item, _index, _items: ctx.step(lambda _ctx: {"item": item, "data": data}),
        name="items",
        config=MapConfig(max_concurrency=10),
    )
    return {"succeeded": results.success_count}


FUNCTION = FunctionSpec(
    name="durable-map",
    handler="scripts.durable_map_bench.handler",
    description="durable: a map of N steps of K KB each",
    durable=True,
    durable_execution_timeout_seconds=3600,  # real time (timeouts unscaled below): far more than any size takes
)


def run(sizes: list[str]) -> list[dict]:
    figures = []
    with tempfile.TemporaryDirectory() as state_dir:
        runtime = LocalRuntime([FUNCTION], state_dir=Path(state_dir), time_control=TimeControl.scaled(0.001, 1.0))
        runtime.start()
        try:
            runtime.deploy_functions()
            lam = runtime.client("lambda")
            for size in sizes:
                items, kb = (int(part) for part in size.split("x"))
                began, cpu = time.perf_counter(), time.process_time()
                arn = lam.invoke(
                    FunctionName=FUNCTION.name,
                    InvocationType="Event",
                    Payload=json.dumps({"items": items, "kb": kb}),
                    DurableExecutionName=f"map-{size}",
                )["DurableExecutionArn"]
                while (status := lam.get_durable_execution(DurableExecutionArn=arn)["Status"]) == "RUNNING":
                    time.sleep(POLL_SECONDS)
                figure = {
                    "items": items,
                    "kb_each": kb,
                    "status": status,
                    "seconds": round(time.perf_counter() - began, 2),
                    "cpu_seconds": round(time.process_time() - cpu, 2),
                    "store_mib": round((Path(state_dir) / DURABLE_STORE_FILE).stat().st_size / 2**20, 1),
                }
                print(
                    f"{items:5} items x {kb:3} KB: {status}, {figure['seconds']} s "
                    f"({figure['cpu_seconds']} s of CPU), store {figure['store_mib']} MiB",
                    flush=True,
                )
                figures.append(figure)
        finally:
            runtime.stop()
    return figures


if __name__ == "__main__":
    figures = run(sys.argv[1:] or list(SIZES))
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {FIGURES.relative_to(ROOT)}")
