"""The state directory's rules, in process (no runtime: `local_stack` and the server are stand-ins): where it is,
0700, one server at a time, --fresh, `state clear`, the console's secret kept in it, what is printed."""

from __future__ import annotations

import fcntl
import os
import socket
import stat
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from duoflow import cli, reloader
from duoflow.console.tokens import SECRET_FILE, InvalidToken, TokenSigner
from duoflow.state_dir import LOCK_FILE, lock_state_dir

runner = CliRunner()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def flat(text: str) -> str:
    """Rich wraps long lines: compare with the whitespace folded."""
    return " ".join(text.split())


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict:
    """`serve` without a runtime: what local_stack was given, what the server answered on."""
    seen: dict = {"resumed": None}

    @contextmanager
    def local_stack(time_control, state_dir=None, **outputs):
        seen["state_dir"] = state_dir
        seen["secret_at_start"] = (state_dir / SECRET_FILE).read_text()
        runtime = SimpleNamespace(
            region="us-east-1", serve_aws=lambda sock: f"http://127.0.0.1:{sock.getsockname()[1]}"
        )
        if seen["resumed"] is not None:
            runtime.resumed = seen["resumed"]
        yield runtime
        seen["stopped"] = True

    def serve_forever(runtime, signer, sock):
        seen["listening"] = sock.getsockname()
        seen["signer"] = signer
        seen["lock_held"] = _locked(seen["state_dir"])

    monkeypatch.setattr("duoflow.stack.local_stack", local_stack)
    monkeypatch.setattr("duoflow.console.server.serve_forever", serve_forever)
    return seen


def _locked(state_dir: Path) -> bool:
    descriptor = os.open(state_dir / LOCK_FILE, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


@contextmanager
def held(state_dir: Path):
    """The state directory locked as a running server holds it (flock conflicts between two opens, even in one
    process)."""
    descriptor = lock_state_dir(state_dir)
    try:
        yield
    finally:
        os.close(descriptor)


def serve(*args: str):
    return runner.invoke(cli.app, ["serve", "--port", "0", *args])


def test_serve_keeps_its_state_in_dot_duoflow_under_the_current_directory(tmp_path, monkeypatch, started):
    monkeypatch.chdir(tmp_path)
    result = serve()
    assert result.exit_code == 0, result.output
    state_dir = tmp_path / ".duoflow" / "state"
    assert started["state_dir"] == state_dir and started["stopped"]
    assert mode(state_dir) == 0o700 and mode(tmp_path / ".duoflow") == 0o700
    assert started["lock_held"], "the server must hold the state directory's lock while it runs"
    assert not _locked(state_dir), "the lock must be released once the server has stopped"
    assert f"state: {state_dir}" in flat(result.stdout)
    assert "tokens stay valid across restarts" in flat(result.stdout)
    assert "valid for this run only" not in result.stdout
    assert "resumed:" not in result.stdout  # the runtime says nothing about it
    assert f"stopped; the state is in {state_dir}" in flat(result.stdout)


def test_state_dir_is_created_0700_with_its_parents_and_an_open_one_is_tightened(tmp_path, started):
    nested = tmp_path / "a" / "b" / "state"
    assert serve("--state-dir", str(nested)).exit_code == 0
    assert [mode(path) for path in (tmp_path / "a", tmp_path / "a" / "b", nested)] == [0o700] * 3

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    result = serve("--state-dir", str(shared))
    assert result.exit_code == 0, result.output
    assert mode(shared) == 0o700
    assert "was readable by others (0755); it is 0700 now" in flat(result.stderr)


def test_the_console_secret_is_kept_0600_so_tokens_survive_a_restart_and_fresh_revokes_them(tmp_path, started):
    state_dir = tmp_path / "state"
    assert serve("--state-dir", str(state_dir)).exit_code == 0
    secret = state_dir / SECRET_FILE
    assert mode(secret) == 0o600
    token = started["signer"].role_token("managers")

    assert serve("--state-dir", str(state_dir)).exit_code == 0
    assert started["signer"].verify(token)["cognito:username"] == "dana.lee"  # the next run accepts it

    (state_dir / "runtime.sqlite3").write_text("kept executions")
    result = serve("--state-dir", str(state_dir), "--fresh")
    assert result.exit_code == 0, result.output
    assert "--fresh: emptied" in result.stderr
    assert not (state_dir / "runtime.sqlite3").exists()
    with pytest.raises(InvalidToken, match="signed by another one"):
        started["signer"].verify(token)


def test_each_roles_sign_in_link_opens_its_page(tmp_path, started):
    result = serve("--state-dir", str(tmp_path / "state"))
    for role, page in (("managers", "manager"), ("hr", "hr")):
        line = next(line for line in result.stdout.splitlines() if line.startswith(f"sign in as {role}: "))
        console, fragment = line.removeprefix(f"sign in as {role}: ").split("/#", 1)
        assert console.startswith("http://127.0.0.1:") and fragment.startswith(f"/{page}?token="), line
        assert role in started["signer"].verify(fragment.split("?token=", 1)[1])["cognito:groups"]


def test_the_resumed_summary_is_printed_when_the_runtime_gives_one(tmp_path, started):
    started["resumed"] = {"items and objects": 12, "running Step Functions executions": 3, "durable executions": 0}
    result = serve("--state-dir", str(tmp_path / "state"))
    assert "resumed: 12 items and objects, 3 running Step Functions executions" in flat(result.stdout)
    assert "durable executions" not in result.stdout  # zero: not worth a word

    started["resumed"] = {"durable executions": 0}
    assert "resumed: nothing (an empty state)" in serve("--state-dir", str(tmp_path / "state")).stdout


def test_a_second_server_on_the_same_state_is_refused(tmp_path, started):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    with held(state_dir):
        result = serve("--state-dir", str(state_dir))
        fresh = serve("--state-dir", str(state_dir), "--fresh")
    assert result.exit_code == 1
    assert f"another `duoflow serve` (pid {os.getpid()}) is running on the state directory {state_dir}" in flat(
        result.stderr
    )
    assert fresh.exit_code == 1 and "state_dir" not in started, "nothing may start on a held state directory"
    assert (state_dir / LOCK_FILE).exists()


def test_a_directory_that_is_not_a_state_directory_is_never_emptied_or_used(tmp_path, started):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    home.chmod(0o755)
    for args in (["--fresh"], []):
        result = serve("--state-dir", str(home), *args)
        assert result.exit_code == 1
        assert "is not empty and is not a duoflow state directory" in flat(result.stderr)
    cleared = runner.invoke(cli.app, ["state", "clear", "--state-dir", str(home), "--yes"])
    assert cleared.exit_code == 1
    assert (home / "thesis.tex").read_text() == "years of work" and mode(home) == 0o755


def test_a_taken_port_is_reported_before_the_runtime_starts(tmp_path, started):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = runner.invoke(cli.app, ["serve", "--port", str(port), "--state-dir", str(tmp_path / "state")])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in flat(result.stderr)
    assert "state_dir" not in started
    assert not _locked(tmp_path / "state")


def test_state_clear_asks_first_empties_the_state_and_refuses_while_a_server_runs(tmp_path):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / LOCK_FILE).touch()
    (state_dir / SECRET_FILE).write_text("ab" * 32)
    (state_dir / "moto").mkdir()
    (state_dir / "moto" / "tables.json").write_text("{}")
    clear = ["state", "clear", "--state-dir", str(state_dir)]

    declined = runner.invoke(cli.app, clear, input="n\n")
    assert declined.exit_code == 1 and "Forget every execution" in declined.output
    assert (state_dir / SECRET_FILE).exists()

    with held(state_dir):
        refused = runner.invoke(cli.app, [*clear, "--yes"])
    assert refused.exit_code == 1
    assert f"is running on {state_dir}: stop it before clearing its state" in flat(refused.stderr)
    assert (state_dir / SECRET_FILE).exists()

    accepted = runner.invoke(cli.app, clear, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert sorted(path.name for path in state_dir.iterdir()) == [LOCK_FILE]

    (state_dir / "runtime.sqlite3").write_text("x")
    assert runner.invoke(cli.app, [*clear, "--yes"]).exit_code == 0
    assert not (state_dir / "runtime.sqlite3").exists()

    missing = runner.invoke(cli.app, ["state", "clear", "--state-dir", str(tmp_path / "none"), "--yes"])
    assert missing.exit_code == 0 and "nothing to clear" in missing.stderr


def test_state_path_prints_the_absolute_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli.app, ["state", "path"]).stdout == f"{tmp_path / '.duoflow' / 'state'}\n"
    assert runner.invoke(cli.app, ["state", "path", "--state-dir", "x"]).stdout == f"{tmp_path / 'x'}\n"


def test_the_secret_file_is_made_once_private_and_replaced_when_it_is_not_a_secret(tmp_path):
    first = TokenSigner.kept_in(tmp_path)
    secret = tmp_path / SECRET_FILE
    assert mode(secret) == 0o600 and len(first.secret) == 32
    assert TokenSigner.kept_in(tmp_path).secret == first.secret

    secret.chmod(0o644)
    assert TokenSigner.kept_in(tmp_path).secret == first.secret and mode(secret) == 0o600

    secret.write_text("cut sho")
    replaced = TokenSigner.kept_in(tmp_path)
    assert replaced.secret != first.secret and len(replaced.secret) == 32 and mode(secret) == 0o600
    assert [path.name for path in tmp_path.iterdir()] == [SECRET_FILE]  # no temporary file left


def test_reload_watches_python_and_json_files_only(tmp_path):
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "handler.py").write_text("x = 1")
    (tmp_path / "pkg" / "cases.json").write_text("{}")
    (tmp_path / "pkg" / "notes.md").write_text("")
    (tmp_path / "pkg" / "__pycache__" / "handler.cpython-311.pyc").write_text("")
    before = reloader.code_snapshot([tmp_path])
    assert sorted(Path(path).name for path in before) == ["cases.json", "handler.py"]

    (tmp_path / "pkg" / "notes.md").write_text("changed")
    assert reloader.code_snapshot([tmp_path]) == before
    (tmp_path / "pkg" / "handler.py").write_text("x = 22")
    after = reloader.code_snapshot([tmp_path])
    assert after != before and reloader.what_changed(before, after) == str(tmp_path / "pkg" / "handler.py")
    assert [folder.name for folder in reloader.code_folders()] == list(reloader.CODE_FOLDERS)
