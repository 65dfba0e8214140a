"""A real ``duoflow serve`` process on a state directory, driven over HTTP like a user would, and killed on purpose.

``Server(state_dir, crash_after="state:3")`` starts the server with ``DUOFLOW_CRASH_AFTER`` set: it kills itself
(SIGKILL) right after that step (duoflow/runtime/crash_points.py). ``LoanRun`` submits an application and plays the
manager until the run ends, restarting the server on the same state directory whenever it has died. Each server is
forked from a process that has imported what a server imports (tests/reliability/forkserver.py), so a restart does
not import the libraries again; what runs is the same ``duoflow serve`` command line.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Modelled time × 0.001 (the fraud service's 5 s take 5 ms); timeouts × 0.1 (the fraud check's 5 minutes take
# 30 s, a manager's 30 minutes 3 minutes: far more than a restart of a loaded machine takes, so a kill never makes
# a run time out; time the server is down counts against a timeout, as it should).
TIME_OPTIONS = ["--time-scale", "0.001", "--timeout-scale", "0.1"]
START_TIMEOUT = 60.0
# Between two looks at a run's status (and the manager's list): each look is an API request the server answers through
# its API Lambda (every 20 ms, the API's answers took a fifth of the servers' CPU in the tier, most of them to these
# looks); a tenth of a second adds at most that much to a run's end.
POLL_SECONDS = 0.1
ENDED = ("approved", "denied")


class ServerDied(Exception):
    pass


class ForkedProcess:
    """A server forked by tests/reliability/forkserver.py, with the part of ``subprocess.Popen`` this tier uses.
    The fork server is its parent; it tells when the process has ended and with which code."""

    def __init__(self, forkserver: ForkServer, pid: int) -> None:
        self._forkserver, self.pid = forkserver, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._forkserver.returncode(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)  # the fork server has not reaped it: the pid is still this process's


class ForkServer:
    """One per test process: started with the environment the servers share, it forks each server."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.forkserver"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()

    def ask(self, request: dict) -> dict:
        with self._lock:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the fork server exited ({self.process.wait()})")
        return json.loads(answer)

    def returncode(self, pid: int) -> int | None:
        return self.ask({"status": pid})["returncode"]


_forkserver: ForkServer | None = None


def forked_process(args: list[str], env: dict[str, str], output: Path) -> ForkedProcess:
    """``python -m duoflow.cli <args>`` with ``env``, writing to ``output``, forked from the fork server."""
    global _forkserver
    if _forkserver is None or _forkserver.process.poll() is not None:
        _forkserver = ForkServer({key: value for key, value in env.items() if key != "DUOFLOW_CRASH_AFTER"})
    pid = _forkserver.ask({"start": {"args": args, "env": env, "output": str(output)}})["pid"]
    return ForkedProcess(_forkserver, pid)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, state_dir: Path, crash_after: str | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.output = state_dir.parent / f"{state_dir.name}-server-{self.port}.log"
        env = {key: value for key, value in os.environ.items() if key != "DUOFLOW_CRASH_AFTER"}
        if crash_after:
            env["DUOFLOW_CRASH_AFTER"] = crash_after
        args = [  # python -m duoflow.cli ...
            "serve",
            "--port",
            str(self.port),
            "--aws-port",
            "0",  # not --port + 1: another test's server may hold it
            "--state-dir",
            str(state_dir),
            *TIME_OPTIONS,
        ]
        self.process = forked_process(args, env, self.output)
        try:
            self._wait_ready()
            self.manager_token = self._printed_token("managers")
        except BaseException:
            self.stop()
            raise

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.alive:
                raise ServerDied(f"the server exited ({self.process.returncode}) while starting:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base}/console/api/about", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        raise TimeoutError(f"the server did not answer within {START_TIMEOUT} s:\n{self.log()}")

    def _printed_token(self, role: str) -> str:
        for line in self.output.read_text().splitlines():
            if line.startswith(f"sign in as {role}: ") and "?token=" in line:
                return line.rsplit("?token=", 1)[1].strip()
        raise AssertionError(f"the server printed no {role} token:\n{self.log()}")

    def log(self) -> str:
        return self.output.read_text() if self.output.exists() else ""

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """One API call. A server that dies while answering raises ServerDied (the request may or may not have
        been carried out: the caller retries after a restart, as a client of a crashed server would)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers=headers)
        try:
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:  # an answer: its body can be cut by the kill too (outer except)
                return error.code, json.loads(error.read() or b"null")
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as error:
            if self.wait_dead(timeout=5):  # a connection cut by a kill: the process is gone, or about to be
                raise ServerDied(str(error)) from None
            raise

    def wait_dead(self, timeout: float = 30) -> bool:
        try:
            self.process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def stop(self) -> None:
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class LoanRun:
    """One application on one variant, followed to its end across any number of server restarts."""

    state_dir: Path
    application: dict
    variant: str
    manager_answer: dict | None
    restarts: int = 0
    submitted: bool = False
    answer_sent: bool = False
    answered: bool = False
    answer_repeated: bool = False  # sent again after a restart: the first one's answer was lost with its server
    servers: list[Server] = field(default_factory=list)

    @property
    def application_id(self) -> str:
        return self.application["application_id"]

    def run(self, crash_after: str | None, deadline_seconds: float = 120) -> dict:
        """Start a server (killing itself at ``crash_after``), drive the run to its end, restarting the server on
        the same state directory whenever it dies. Returns the final status."""
        server = self._start(crash_after)
        deadline = time.monotonic() + deadline_seconds
        try:
            while time.monotonic() < deadline:
                try:
                    ended = self._step(server)
                except ServerDied:
                    ended = None
                if ended:
                    return ended
                if not server.alive:
                    server.stop()
                    self.restarts += 1
                    server = self._start(None)
                else:
                    time.sleep(POLL_SECONDS)
            raise AssertionError(f"{self.variant} {self.application_id} did not end:\n{server.log()}")
        finally:
            server.stop()

    def _start(self, crash_after: str | None) -> Server:
        while True:
            try:
                server = Server(self.state_dir, crash_after)
            except ServerDied:
                # Killed while resuming (the kill point fell in the restore): start again, as a person would.
                self.restarts += 1
                crash_after = None
                continue
            self.servers.append(server)
            return server

    def _step(self, server: Server) -> dict | None:
        if not self.submitted:
            code, body = server.request("POST", f"/api/apply?variant={self.variant}", self.application)
            # 200: the first submission did reach the server and start the workflow before it died (its answer was
            # lost with it); the same application again gets that workflow back, as POST /apply promises.
            assert code in (200, 202), (code, body)
            self.submitted = True
        code, status = server.request("GET", f"/api/status/{self.application_id}")
        if code == 404:
            return None
        assert code == 200, (code, status)
        if status.get("status") in ENDED:
            return status
        if self.manager_answer and not self.answered:
            code, pending = server.request("GET", "/api/approvals", token=server.manager_token)
            if any(item["application_id"] == self.application_id for item in pending.get("approvals", [])):
                repeated = self.answer_sent  # the first answer's server died while answering: it may have landed
                self.answer_sent, self.answer_repeated = True, repeated
                code, body = server.request(
                    "POST", f"/api/approve/{self.application_id}", self.manager_answer, token=server.manager_token
                )
                # 404 for a repeat: the first answer did resume the workflow before the server died, and the
                # resumed workflow withdrew the approval (its decision record) between the listing and this
                # answer. Whether the answer counted shows in the run's end, compared with an uninterrupted one.
                assert code in (200, 409) or (repeated and code == 404), (code, body)
                self.answered = True
        return None


@dataclass
class TrainingRun:
    """One training request uploaded on one variant, followed to its result file across server restarts."""

    state_dir: Path
    request_id: str
    document: dict
    variant: str
    restarts: int = 0
    uploaded: bool = False

    def run(self, crash_after: str | None, deadline_seconds: float = 180) -> dict:
        """As ``LoanRun.run``; returns the request's final status (with its result file)."""
        loan_like = LoanRun(self.state_dir, {"application_id": self.request_id}, self.variant, None)
        loan_like._step = self._step  # the same restart loop, this scenario's steps
        try:
            return loan_like.run(crash_after, deadline_seconds)
        finally:
            self.restarts = loan_like.restarts

    def _step(self, server: Server) -> dict | None:
        if not self.uploaded:
            body = {"request": self.document, "variant": self.variant, "request_id": self.request_id}
            code, answer = server.request("POST", "/console/api/training/requests", body)
            # The same upload again (its first answer was cut by a kill) is answered with the workflow it has.
            assert code in (200, 202), (code, answer)
            self.uploaded = True
        # Execution data needs a role's token; any role may read a training request's progress.
        code, status = server.request(
            "GET", f"/console/api/training/requests/{self.request_id}", token=server.manager_token
        )
        if code == 404:
            return None
        assert code == 200, (code, status)
        executions = status.get("executions") or []
        running = any(execution.get("status") == "RUNNING" for execution in executions)
        return status if status.get("result") and not running else None
