"""Run the durable SDK's example tests (sdk_examples/, README there) on the stock runner or on duoflow.

    python -m tests.conformance.examples stock   RESULTS.json   # --runner-mode=local: the testing SDK's runner
    python -m tests.conformance.examples duoflow RESULTS.json   # --runner-mode=cloud against a LocalRuntime

``duoflow``: every example a test names is deployed as a durable function of a LocalRuntime in this process, the
runtime serves its AWS APIs at an endpoint (``serve_aws``), and the examples' own cloud mode — the testing SDK's
``DurableFunctionCloudTestRunner``, a plain boto3 Lambda client — runs each test against it, as it would against
a stack deployed in AWS. Waits and retry delays run at ``WAIT_SCALE``; callback and execution timeouts in real
time, as on the stock runner (its ``skip_time`` skips waits, not timeouts) and as the tests that heartbeat a
callback every few real seconds need.

Results: per test, the example it runs and its outcome (record_results.py); report.py turns them into the table
in duoflow/runtime/README.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = Path(__file__).resolve().parent / "sdk_examples"
WAIT_SCALE = 0.001  # a 5-second context.wait takes 5 ms
# The cloud runner's poll of GetDurableExecution (upstream's default: 1 s). Each poll loads the whole execution from
# the store: polling the 5 MB of the large-scale map example every 20 ms cost more CPU than running it.
POLL_SECONDS = 0.1
WORKERS = 4  # the example tests mostly wait (real-time callback timeouts and heartbeats): more workers than cores
# One test at a time to a worker: xdist's load scheduling hands out runs of consecutive tests, and so gave the two
# heartbeat tests (20 and 12 real seconds, record_results.LONGEST_FIRST) to one worker, one after the other.
XDIST_ARGUMENTS = ["-n", str(WORKERS), "--maxschedchunk=1"]
SUBPROCESS_SECONDS = 300
MODES = ("stock", "duoflow")


def _environment(**extra: str) -> dict[str, str]:
    """No AWS settings of this machine's; the examples' directory first on the path (they import ``src`` and
    ``test``), then duoflow's (the recording plugin)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTEST_"))}
    environment["PYTHONPATH"] = os.pathsep.join([str(EXAMPLES), str(ROOT)])
    environment.update(extra)
    return environment


def _pytest(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "tests.conformance.record_results", "-q", *arguments]
    return subprocess.run(
        command, cwd=EXAMPLES, env=environment, capture_output=True, text=True, timeout=SUBPROCESS_SECONDS
    )


def _read_results(path: Path, run: subprocess.CompletedProcess[str]) -> dict:
    if not path.exists():
        raise RuntimeError(f"the example tests wrote no results (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
    return json.loads(path.read_text())


def function_name(example: str) -> str:
    """A Lambda function name for an example's name ("Basic Step" → "Basic-Step")."""
    return re.sub(r"[^A-Za-z0-9]+", "-", example).strip("-")


def example_functions() -> dict[str, str]:
    """Each example a test names (lower case, as the tests' fixture matches them) → its handler's import path."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "functions.json"
        run = _pytest(["--collect-only", "-p", "no:xdist"], _environment(DUOFLOW_CONFORMANCE_FUNCTIONS=str(out)))
        if not out.exists():
            raise RuntimeError(f"collecting the example tests failed:\n{run.stdout}\n{run.stderr}")
        return json.loads(out.read_text())


def run_stock(results: Path) -> dict:
    run = _pytest(["--runner-mode=local", *XDIST_ARGUMENTS], _environment(DUOFLOW_CONFORMANCE_RESULTS=str(results)))
    return _read_results(results, run)


def run_duoflow(results: Path) -> dict:
    from catalog.specs import FunctionSpec
    from duoflow.runtime import LocalRuntime, TimeControl

    functions = example_functions()
    catalog = [
        FunctionSpec(
            name=function_name(example),
            handler=handler,
            description=f"the durable SDK's example {example!r}",
            durable=True,
            timeout_seconds=60,
            durable_execution_timeout_seconds=300,  # upstream's examples-catalog.json: ExecutionTimeout 300
        )
        for example, handler in functions.items()
    ]
    sys.path.insert(0, str(EXAMPLES))
    with LocalRuntime(catalog, time_control=TimeControl.scaled(WAIT_SCALE, timeouts=1.0)) as runtime:
        runtime.deploy_functions()
        endpoint = runtime.serve_aws()
        environment = _environment(
            DUOFLOW_CONFORMANCE_RESULTS=str(results),
            LAMBDA_ENDPOINT=endpoint,
            AWS_REGION=runtime.region,
            AWS_ACCESS_KEY_ID="anything",
            AWS_SECRET_ACCESS_KEY="anything",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            PYTEST_FUNCTION_NAME_MAP=json.dumps({example: function_name(example) for example in functions}),
            DURABLE_CLOUD_POLL_INTERVAL=str(POLL_SECONDS),
        )
        run = _pytest(["--runner-mode=cloud", *XDIST_ARGUMENTS], environment)
    return _read_results(results, run)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in MODES:
        sys.exit(f"usage: python -m tests.conformance.examples {{{'|'.join(MODES)}}} RESULTS.json")
    mode, results = argv[0], Path(argv[1])
    (run_stock if mode == "stock" else run_duoflow)(results)


if __name__ == "__main__":
    main(sys.argv[1:])
