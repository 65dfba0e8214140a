"""The command line's tier: `duoflow serve`, `serve --reload`, `state clear` and `demo` as a user runs them — real
processes signalled and restarted on a state directory — plus the state directory's and the journal barrier's rules
in process. A server start costs a few seconds (the runtime deploys everything): each subprocess test shares its
starts across the checks it makes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Waits at 1/1000, timeouts at 1/100: what the other server tiers use.
TIME_OPTIONS = ["--time-scale", "0.001", "--timeout-scale", "0.01"]
START_SECONDS = 60.0
STOP_SECONDS = 30.0
URL = re.compile(r"duoflow console\s+(http://\S+)")


def _default_sigint() -> None:
    # A process started in the background by a non-interactive shell inherits SIGINT ignored; the tests send
    # SIGINT on purpose, as a terminal's Ctrl-C would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cli(*args: str, cwd: Path, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60):
    """`duoflow ARGS` to its end: the completed process (stdout and stderr as text)."""
    return subprocess.run(
        [sys.executable, "-m", "duoflow.cli", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


class Process:
    """`duoflow ARGS` running, its stdout and stderr in one log file (a pipe nobody reads would fill up)."""

    def __init__(self, args: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "duoflow.cli", *args],
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # PYTHONFAULTHANDLER: a process that does not stop is sent SIGABRT, and prints every thread's stack first
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1", **(env or {})},
            preexec_fn=_default_sigint,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, predicate, what: str, timeout: float = START_SECONDS):
        """Poll ``predicate(log)`` until it returns something truthy; fail if the process ends first."""
        deadline = time.monotonic() + timeout
        while True:
            found = predicate(self.log())
            if found:
                return found
            if self.process.poll() is not None:
                pytest.fail(f"the process exited ({self.process.returncode}) before {what}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout} s:\n{self.log()}")
            time.sleep(0.02)

    def stop(self, sig: int) -> int:
        """Send ``sig`` and wait for the process to end; its exit code."""
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)  # the faulthandler's stacks say where it hangs, in the log
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            pytest.fail(f"the process did not stop within {STOP_SECONDS} s of signal {sig}:\n{self.log()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


class Server(Process):
    """`duoflow serve --port 0 ...`: ``url`` once it answers; ``token(role)`` as it printed them."""

    def __init__(self, state_dir: Path, cwd: Path, log: Path, *extra: str) -> None:
        super().__init__(["serve", "--port", "0", "--state-dir", str(state_dir), *TIME_OPTIONS, *extra], cwd, log)
        self.url = self.wait_for(lambda log: (found := URL.findall(log)) and found[-1], "URL printed")
        self.wait_answering()

    def wait_answering(self) -> None:
        def answers(log: str) -> bool:
            return self.request("GET", "/console/api/about")[0] == 200

        self.wait_for(answers, "answer on /console/api/about")

    def token(self, role: str, last: bool = True) -> str:
        lines = self.log().splitlines()
        tokens = [lines[index + 1].strip() for index, line in enumerate(lines) if line.startswith(f"{role} token")]
        assert tokens, f"no {role} token printed:\n{self.log()}"
        return tokens[-1] if last else tokens[0]

    def aws_client(self, service: str, config: Any = None) -> Any:
        """A boto3 client of ``service`` on the AWS endpoint the server printed, with dummy credentials."""
        import boto3

        endpoint = re.search(r"aws endpoint: (http://127\.0\.0\.1:\d+)", self.log()).group(1)
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=config,
        )

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """(status, JSON body); (0, error) when the connection fails."""
        headers = {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})}
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            return 0, str(error)
