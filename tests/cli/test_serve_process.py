"""`duoflow serve` as a real process: its state directory (0700, the console's secret 0600), one server per state
directory, `state clear` refused while it runs, tokens that survive a restart, and a graceful stop with exit code
0 on SIGTERM and on Ctrl-C (SIGINT). Two server starts, on the same state directory."""

from __future__ import annotations

import signal
import stat

import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from duoflow.console.tokens import SECRET_FILE
from tests.cli.conftest import Server, cli
from tests.waiting import wait_until

NO_RETRIES = Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=20)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_serve_keeps_its_state_across_restarts_and_stops_cleanly_on_sigterm_and_ctrl_c(tmp_path):
    state_dir = tmp_path / "nested" / "state"
    first = Server(state_dir, tmp_path, tmp_path / "first.log")
    try:
        assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE((state_dir / SECRET_FILE).stat().st_mode) == 0o600
        assert f"state: {state_dir}" in flat(first.log())
        manager = first.token("managers")
        assert first.request("GET", "/api/approvals", token=manager)[0] == 200
        # An access line per API request, and the API function's own lines, as they happen (the log is flushed
        # line by line; the request has been answered, so its lines are written).
        wait_until(lambda: "api GET /approvals 200" in flat(first.log()), what="the access line")
        assert "duoflow-api" in first.log() and "invoked" in first.log()
        # The AWS endpoint it printed answers an SDK in another process (this one), on the loopback.
        sfn = first.aws_client("stepfunctions", NO_RETRIES)
        assert sfn.list_state_machines()["stateMachines"]  # the stack's state machines

        second = cli("serve", "--port", "0", "--state-dir", str(state_dir), cwd=tmp_path)
        assert second.returncode == 1
        assert f"(pid {first.pid}) is running on the state directory {state_dir}" in flat(second.stderr)
        clear = cli("state", "clear", "--state-dir", str(state_dir), "--yes", cwd=tmp_path)
        assert clear.returncode == 1 and "stop it before clearing its state" in flat(clear.stderr)
        assert (state_dir / SECRET_FILE).exists()

        assert first.stop(signal.SIGTERM) == 0, first.log()
        assert f"stopped; the state is in {state_dir}" in flat(first.log())
        assert "Traceback" not in first.log()
        with pytest.raises(EndpointConnectionError):  # the endpoint stopped with the server
            sfn.list_state_machines()
    finally:
        first.close()

    again = Server(state_dir, tmp_path, tmp_path / "again.log")
    try:
        # The browser's token, printed by the first run, still works; and the manager's queue answers.
        assert again.request("GET", "/api/approvals", token=manager)[0] == 200
        assert again.stop(signal.SIGINT) == 0, again.log()
        assert f"stopped; the state is in {state_dir}" in flat(again.log())
        assert "Traceback" not in again.log() and "Aborted" not in again.log()
    finally:
        again.close()

    cleared = cli("state", "clear", "--state-dir", str(state_dir), "--yes", cwd=tmp_path)
    assert cleared.returncode == 0, cleared.stderr
    assert not (state_dir / SECRET_FILE).exists()
