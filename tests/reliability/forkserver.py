"""Starts ``duoflow serve`` processes for the kill-at-every-step tier by forking one that has already imported what a
server imports and parsed the state machines a server deploys, so each of the tier's ~90 server starts does not
import moto, botocore, the durable SDKs and the project again, nor parse the ASL (most of a start). What runs in the
forked process is the same ``duoflow serve`` a user starts: the same command line, environment, working directory
and output file.

Run as ``python -m tests.reliability.forkserver`` with the environment the servers share; it reads one JSON request
per line on stdin and answers one JSON line on stdout:

    {"start": {"args": [...], "env": {...}, "output": "server.log"}}  ->  {"pid": 123}
    {"status": 123}                                                    ->  {"returncode": null | int}

It stops when stdin closes; each server it started gets SIGTERM if it stops first (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import json
import os
import sys

from catalog.state_machines import STATE_MACHINES, TRAINING_STATE_MACHINES
from duoflow.reloader import preload_server_imports, run_cli, terminate_with_parent
from duoflow.runtime import ResourceRef, crash_points
from duoflow.runtime.patches import moto_stepfunctions
from tests.reliability.server import ROOT

REGION, ACCOUNT = "us-east-1", "123456789012"  # a LocalRuntime's own


def deployed_name_or_arn(ref: ResourceRef) -> str:
    """What ``LocalRuntime.resolve`` gives for ``ref`` once duoflow/stack.py has deployed the stack; checked against
    a deployed runtime by tests/reliability/test_forkserver.py."""
    if ref.attribute == "name":
        return ref.logical_name
    if ref.kind == "function":
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{ref.logical_name}"
    if ref.kind == "topic":
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{ref.logical_name}"
    raise ValueError(f"no known ARN for {ref}")


def definitions_as_deployed() -> list[str]:
    return [machine.definition(deployed_name_or_arn) for machine in [*STATE_MACHINES, *TRAINING_STATE_MACHINES]]


def run_server(request: dict) -> int:
    """In the forked process: become ``python -m duoflow.cli <args>`` with ``env``, writing to ``output``."""
    terminate_with_parent()
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(ROOT)
    crash_points.read_setting()  # DUOFLOW_CRASH_AFTER is this server's own
    return run_cli(request["args"])


def main() -> None:
    preload_server_imports()  # as `duoflow serve --reload` does before it forks a server
    # Each server's start parses the state machines it deploys (ANTLR, about half a second of CPU), unless the
    # process it was forked from has: parsed here once, for the tier's ~90 starts.
    for definition in definitions_as_deployed():
        moto_stepfunctions.parse_ahead(definition)
    exited: dict[int, int] = {}
    for line in sys.stdin:
        request = json.loads(line)
        while True:  # reap what has ended, so a status is known and no zombie stays
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            exited[pid] = os.waitstatus_to_exitcode(status)
        if "start" in request:
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = run_server(request["start"])
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            answer: dict = {"pid": pid}
        else:
            answer = {"returncode": exited.get(request["status"])}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
