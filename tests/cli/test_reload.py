"""`duoflow serve --reload` as a real process: a change to a watched .py file restarts the server on the same port
and state (a loan waiting for its manager is still waiting, and the token printed before the restart approves it),
the supervisor keeps the state directory locked throughout, and SIGTERM stops the server gracefully, then the
supervisor, with exit code 0. The watched folder is a temporary one (the hidden --watch option), never the
project's code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from duoflow.scenarios import loan_cases
from tests.cli.conftest import ROOT, URL, Server, cli
from tests.waiting import wait_until

STOPPED = "stopped; the state is in"


def test_reload_restarts_the_server_on_a_code_change_on_the_same_port_and_state(tmp_path):
    code = tmp_path / "code"
    (code / "services").mkdir(parents=True)
    handler = code / "services" / "handler.py"
    handler.write_text("ANSWER = 1\n")
    state_dir = tmp_path / "state"
    # Timeouts × 0.1: the manager has 3 minutes, however slow a restart on a loaded machine.
    extra = ["--timeout-scale", "0.1", "--reload", "--watch", str(code)]
    server = Server(state_dir, tmp_path, tmp_path / "reload.log", *extra)
    try:
        assert f"reload: watching {code}" in " ".join(server.log().split())
        manager = server.token("managers")
        # Alice's loan waits for a manager across the restart (the runtime resumes it from the state directory).
        alice = loan_cases(["alice"])[0]
        application_id = f"reload-{tmp_path.name[-8:]}"
        applied = server.request(
            "POST", "/api/apply?variant=hybrid", {**alice.application, "application_id": application_id}
        )
        assert applied[0] == 202, applied
        wait_until(lambda: waiting_for_manager(server, manager, application_id), what="Alice waiting")
        (code / "notes.md").write_text("not code")  # not .py or .json: no restart (checked below)

        handler.write_text("ANSWER = 2\n")
        server.wait_for(lambda log: log.count("duoflow console") == 2, "a restarted server")
        server.wait_answering()
        log = server.log()
        assert f"reload: {handler} changed" in log
        assert log.count(STOPPED) == 1, "the first server must stop gracefully before the next one starts"
        assert len(set(URL.findall(log))) == 1, "the port must not change"
        assert waiting_for_manager(server, manager, application_id), "the pending approval was lost in the restart"
        answered = server.request("POST", f"/api/approve/{application_id}", alice.manager, token=manager)
        assert answered[0] == 200, answered
        ended = wait_until(lambda: ended_status(server, application_id), what="Alice's loan ended")
        assert ended["status"] == "approved", ended
        # `duoflow audit` reads the running server's state, its lock untouched: the manager's decision is in it
        audited = cli("audit", application_id, "--state-dir", str(state_dir), cwd=tmp_path)
        assert audited.returncode == 0, audited.stderr
        assert "## Decisions made by people" in audited.stdout and alice.manager["comment"] in audited.stdout

        # The supervisor holds the state directory (between restarts too), not the server it runs.
        refused = cli("state", "clear", "--state-dir", str(state_dir), "--yes", cwd=tmp_path)
        assert refused.returncode == 1 and f"(pid {server.pid}) is running" in refused.stderr, refused.stderr

        assert server.stop(signal.SIGTERM) == 0, server.log()
        log = server.log()
        assert log.count(STOPPED) == 2 and log.count("duoflow console") == 2, log
        assert "Traceback" not in log
    finally:
        server.close()
    # With no server running, the export reads the same state; an unknown id is an error that says so.
    exported = cli("audit", application_id, "--format", "csv", "--state-dir", str(state_dir), cwd=tmp_path)
    assert exported.returncode == 0 and exported.stdout.startswith("at,source,event,what,by,rule\n"), exported
    assert "manager-decision" in exported.stdout
    unknown = cli("audit", "no-such-id", "--state-dir", str(state_dir), cwd=tmp_path)
    assert unknown.returncode == 1 and "no loan application or training request 'no-such-id'" in unknown.stderr
    # Nothing holds the state directory any more: the last server is gone with its supervisor.
    cleared = cli("state", "clear", "--state-dir", str(state_dir), "--yes", cwd=tmp_path)
    assert cleared.returncode == 0, cleared.stderr


def waiting_for_manager(server: Server, token: str, application_id: str) -> bool:
    status, body = server.request("GET", "/api/approvals", token=token)
    assert status == 200, body
    return any(item["application_id"] == application_id for item in body.get("approvals", []))


def ended_status(server: Server, application_id: str) -> dict | None:
    status, body = server.request("GET", f"/api/status/{application_id}")
    return body if status == 200 and body.get("status") in ("approved", "denied") else None


def test_a_forked_server_drops_the_projects_modules_and_keeps_the_libraries():
    """--reload forks each server from a supervisor that has imported what a server imports; the server imports the
    project's code again (it may have changed), not the libraries (even those installed in the project's .venv)."""
    import os

    import moto

    import duoflow.terminal
    from duoflow import reloader

    roots = (f"{reloader.PROJECT_ROOT}{os.sep}",)
    assert reloader._project_module(duoflow.terminal, roots)
    assert not reloader._project_module(moto, roots)
    assert not reloader._project_module(os, roots)


# In a new interpreter: what the supervisor imports (preload_server_imports), then a server's start as `duoflow serve`
# makes it (the runtime, the console, one request); prints the library modules the start imported on top.
IMPORTS_AT_START = """
import sys, tempfile, urllib.request
from duoflow.reloader import preload_server_imports
assert preload_server_imports()
before = set(sys.modules)
from duoflow.console.server import running_console
from duoflow.console.tokens import TokenSigner
from duoflow.runtime import TimeControl
from duoflow.stack import local_stack
with tempfile.TemporaryDirectory() as state, local_stack(TimeControl.scaled(0.001), state_dir=state) as runtime:
    with running_console(runtime, TokenSigner.for_this_run()) as url:
        urllib.request.urlopen(url + "/console/api/about").read()
ours = ("catalog", "domain", "duoflow", "durable", "services")
print(sorted(name for name in set(sys.modules) - before if name.split(".")[0] not in ours))
"""


def test_a_forked_server_imports_no_library_module_its_supervisor_has_not():
    """A server forked by `serve --reload` (or the kill tier's fork server) finds every library module its start
    needs already imported (reloader.WARM_MODULES and the catalog's handlers); the project's own are its to import."""
    started = subprocess.run(
        [sys.executable, "-c", IMPORTS_AT_START], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "[]", f"imported at a server's start: {started.stdout}"


def test_a_forked_server_reads_no_service_model_its_supervisor_has_not():
    """What a server's start reads of moto's service models was read before forking (reloader.WARM_SERVICE_MODELS)."""
    from moto.core.utils import get_service_model

    from duoflow import reloader
    from duoflow.runtime import TimeControl
    from duoflow.stack import local_stack

    get_service_model.cache_clear()
    reloader.read_library_data()
    with local_stack(TimeControl.scaled(0.001)):
        pass
    info = get_service_model.cache_info()
    assert info.currsize == len(reloader.WARM_SERVICE_MODELS) and info.hits > 0


# In a new interpreter: what the supervisor does before it forks (preload_server_imports), then a runtime's start as a
# server forked by `serve --reload` makes it (the project's modules forgotten first, as reloader._run_forked does;
# the kill tier's fork server keeps them); prints how many botocore data files each read and how many URL routers
# moto built.
READS_AT_START = """
import json, sys, tempfile
import botocore.loaders, moto.core.routing
read, routers = [], []
load_file = botocore.loaders.JSONFileLoader.load_file
botocore.loaders.JSONFileLoader.load_file = lambda self, path: read.append(path) or load_file(self, path)
build_router = moto.core.routing.RestRouter.__init__
moto.core.routing.RestRouter.__init__ = lambda self, *args: routers.append(args) or build_router(self, *args)
from duoflow.reloader import forget_project_modules, preload_server_imports
assert preload_server_imports()
before = {"files": len(read), "routers": len(routers)}
del read[:], routers[:]
forget_project_modules([])  # as a server that `serve --reload` forks does: the project's modules are imported anew
from duoflow.runtime import TimeControl
from duoflow.stack import local_stack
with tempfile.TemporaryDirectory() as state, local_stack(TimeControl.scaled(0.001), state_dir=state):
    pass
print(json.dumps({"supervisor": before, "start": {"files": read, "routers": len(routers)}}))
"""


def test_a_forked_server_reads_no_data_file_and_builds_no_router_its_supervisor_has_not():
    """botocore's models, endpoints and rule sets (the runtime's clients, through the loader kept for the process:
    patches/boto3_session.py; moto's region lists) and moto's Lambda URL router are read and built by the supervisor
    (reloader.read_library_data), not by each server it forks."""
    env = {**os.environ, "DUOFLOW_SPEEDUPS": "1"}
    started = subprocess.run(
        [sys.executable, "-c", READS_AT_START], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 0, started.stderr
    reads = json.loads(started.stdout)
    assert reads["supervisor"]["files"] > 0 and reads["supervisor"]["routers"] == 1  # the counters count
    assert reads["start"] == {"files": [], "routers": 0}
