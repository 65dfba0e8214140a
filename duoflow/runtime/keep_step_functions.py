"""Step Functions executions that survive the runtime's process: journaled as they run, resumed on start.

moto's interpreter keeps an execution in memory only (its objects hold threads and locks and do not pickle), so the
runtime records each one as data, in the journal (:mod:`journal`), at the moments that matter:

* ``sfn_executions``: the execution as started (name, input, the definition it started on — one copy of each
  definition, in ``sfn_definitions``), written before
  ``StartExecution`` returns; its end (status, output, error, cause) when it ends.
* ``sfn_events``: every history event, committed with the next checkpoint (events after the last checkpoint are
  replaced by the re-entered state's own on a restart, so they need no commit of their own).
* ``sfn_checkpoints``: at each top-level state the execution enters, the state's name, its input, the ``Assign``
  variables and how many history events came before (``seq``). This is where a resumed execution re-enters.
* ``sfn_tokens``: each task token, the state entry it belongs to, whether the task was submitted (its Lambda called)
  and the answer (``SendTaskSuccess`` / ``SendTaskFailure``), journaled before the answer is delivered.
* ``sfn_timers``: the real-time due date of each task timeout and Wait state, per state entry and attempt.
* ``sfn_redrives``: how many times an execution was redriven (``RedriveExecution``) and when last, written with the
  ``ExecutionRedriven`` event and the moved checkpoint, before ``RedriveExecution`` returns.
* ``sfn_mock_cases``: for an execution started on a Step Functions Local test case (``arn#TestCase``,
  :mod:`sfn_mocks`), the test case itself (a mock configuration holding it alone, so a resumed execution does not
  depend on the file still being there or unchanged), written with the execution; and how many times each mocked
  state had been invoked, written with each checkpoint.

On start (:meth:`StepFunctionsKeeper.restore`), after the state machines are deployed: a finished execution comes
back as it ended (status, output; its history read from the journal when first asked for), never run again; a
running one is re-entered at its last checkpoint with that state's input and variables, its history up to there,
under the same ARN (and with its test case, each mocked state's invocations counted on from where they were at the
checkpoint). A task state it was waiting in gets the same task token back (whoever holds it — the pending-approval
row, a durable function — can still answer it); its Lambda is not called again when it had been (the TaskSubmitted
event was journaled); an answer journaled before the crash is delivered at once; its timeout keeps its due date
(time the runtime was down counts). A state that was running when the process died runs again from its start: at
least once per task, as in AWS Step Functions. A Parallel state is re-entered as a whole (its branches are
checkpointed with it). See duoflow/runtime/README.md.

``RedriveExecution`` (:meth:`StepFunctionsKeeper.redrive`) uses the same re-entry: a FAILED, TIMED_OUT or ABORTED
execution is re-entered at its last checkpoint — the state it entered last and never left, which is the state that
failed (AWS redrives the states with an ``Entered`` event and no ``Exited`` one) — with that state's input and
variables, its whole history kept and an ``ExecutionRedriven`` event appended, under the same ARN. The checkpoint is
moved past that event first, so a restart before the state is entered again resumes the redrive, not the old run.
"""

from __future__ import annotations

import copy
import datetime
import functools
import hashlib
import json
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from duoflow.runtime import crash_points, sfn_mocks
from duoflow.runtime.in_flight import Endings
from duoflow.runtime.journal import Journal

SCHEMA = """
CREATE TABLE IF NOT EXISTS sfn_definitions (sha256 TEXT PRIMARY KEY, definition TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sfn_executions (
    arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, name TEXT NOT NULL, input TEXT NOT NULL,
    definition TEXT NOT NULL REFERENCES sfn_definitions, role_arn TEXT NOT NULL, start_date REAL NOT NULL,
    status TEXT NOT NULL, stop_date REAL, output TEXT, error TEXT, cause TEXT);
CREATE TABLE IF NOT EXISTS sfn_events (arn TEXT NOT NULL, id INTEGER NOT NULL, event TEXT NOT NULL,
    PRIMARY KEY (arn, id));
CREATE TABLE IF NOT EXISTS sfn_checkpoints (arn TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL,
    input TEXT NOT NULL, variables TEXT NOT NULL, source_event_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sfn_tokens (token TEXT PRIMARY KEY, arn TEXT NOT NULL, seq INTEGER NOT NULL,
    submitted TEXT, answer TEXT);
CREATE INDEX IF NOT EXISTS sfn_tokens_by_entry ON sfn_tokens (arn, seq);
CREATE TABLE IF NOT EXISTS sfn_timers (arn TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
    due REAL NOT NULL, PRIMARY KEY (arn, seq, kind));
CREATE TABLE IF NOT EXISTS sfn_mock_cases (arn TEXT PRIMARY KEY, test_case TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS sfn_redrives (arn TEXT PRIMARY KEY, count INTEGER NOT NULL, date REAL NOT NULL);
"""

# RedriveExecution (AWS's limits): only these ends can be redriven, within this long after the end, this many times.
REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")
REDRIVABLE_DAYS = 14
MAX_REDRIVES = 1000


class ExecutionNotRedrivable(Exception):
    """RedriveExecution refused for this execution (the message says why); the API answers ExecutionNotRedrivable."""


_current: StepFunctionsKeeper | None = None
_installed = False
_originals: dict[str, Any] = {}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _execution_arn(env: Any) -> str:
    return env.states.context_object.context_object_data["Execution"]["Id"]


def _keeper_of(env: Any) -> tuple[StepFunctionsKeeper | None, str | None]:
    """The keeper that journals this execution: the one that started (or resumed) it. An execution left running by
    a stopped runtime in the same process (tests restart runtimes) has a closed keeper and writes nothing."""
    tag = getattr(env.event_manager, "duoflow_keeper", None)
    if tag is None:
        return None, None
    keeper, arn = tag
    return (keeper, arn) if keeper.is_open else (None, None)


class StepFunctionsKeeper:
    def __init__(self, journal: Journal, account_id: str, region: str, endings: Endings | None = None) -> None:
        self._journal = journal
        self.endings = endings or Endings()  # told once an execution's end is visible
        self._account_id = account_id
        self._region = region
        self.is_open = True
        journal.ensure_schema(SCHEMA)
        self._entries: dict[str, int] = {}  # execution ARN -> seq of the state entry it is in
        self._resuming: dict[str, dict[str, Any]] = {}  # execution ARN -> what its re-entered state needs
        self._unwritten: dict[str, list[tuple[str, int, str]]] = {}  # execution ARN -> events not committed yet
        self._submitted: dict[str, str] = {}  # task token -> the output of its task's call, made before a restart
        self._expired: set[str] = set()  # task tokens whose timeout fell due while the runtime was down
        self._lock = threading.Lock()
        self._redrive_lock = threading.Lock()

    # --- lifecycle -----------------------------------------------------------------------------------------

    def install(self) -> None:
        global _current
        _install_hooks()
        _current = self

    def close(self) -> None:
        """Stop journaling; stop this runtime's running executions' threads without recording them as ended (they
        are still running, as far as the journal knows, and resume on the next start)."""
        global _current
        self.is_open = False
        if _current is self:
            _current = None
        for execution in self._backend_executions():
            env = getattr(getattr(execution, "exec_worker", None), "env", None)
            if env is not None and env.is_running():
                env.set_stop(stop_date=None, cause="the local runtime stopped", error=None)

    def _backend(self) -> Any:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends[self._account_id][self._region]

    def _backend_executions(self) -> list[Any]:
        try:
            return list(self._backend()._get_executions())
        except Exception:  # noqa: BLE001 - moto already reset: nothing of ours runs
            return []

    # --- journaling (called from the hooks) ----------------------------------------------------------------

    def started(self, execution: Any) -> None:
        definition = execution.state_machine.definition
        digest = hashlib.sha256(definition.encode()).hexdigest()
        with self._journal.transaction() as db:
            # One copy of each definition, however many executions start on it.
            db.execute("INSERT OR IGNORE INTO sfn_definitions VALUES (?, ?)", (digest, definition))
            db.execute(
                "INSERT OR IGNORE INTO sfn_executions (arn, machine_arn, name, input, definition, role_arn,"
                " start_date, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'RUNNING')",
                (
                    execution.exec_arn,
                    execution.state_machine.arn,
                    execution.name,
                    _json(execution.input_data),
                    digest,
                    execution.role_arn,
                    execution.start_date.timestamp(),
                ),
            )
            case = getattr(execution, "mock_case", None)
            if case is not None:
                db.execute(
                    "INSERT OR IGNORE INTO sfn_mock_cases (arn, test_case) VALUES (?, ?)",
                    (execution.exec_arn, case.to_journal()),
                )

    def event(self, arn: str, event: dict) -> None:
        """History events wait in memory and are committed with the next checkpoint, submission or end of their
        execution: a restart re-enters at the last checkpoint and drops the events after it anyway, so committing
        each one would cost a commit per event (about 40 per loan) for nothing."""
        with self._lock:
            self._unwritten.setdefault(arn, []).append((arn, event["id"], _json(event)))
        if event.get("type") == "TaskSubmitted":
            output = event.get("taskSubmittedEventDetails", {}).get("output", "null")
            with self._journal.transaction() as db:
                self._write_events(db, arn)
                db.execute(
                    "UPDATE sfn_tokens SET submitted = ? WHERE arn = ? AND seq = ? AND submitted IS NULL",
                    (output, arn, self._entries.get(arn)),
                )

    def _write_events(self, db: Any, arn: str) -> None:
        with self._lock:
            events = self._unwritten.pop(arn, [])
        db.executemany("INSERT OR REPLACE INTO sfn_events VALUES (?, ?, ?)", events)

    def entering(self, arn: str, env: Any) -> None:
        seq = len(env.event_manager._history_event_list)
        self._entries[arn] = seq
        with self._journal.transaction() as db:
            self._write_events(db, arn)
            db.execute(
                "INSERT OR REPLACE INTO sfn_checkpoints VALUES (?, ?, ?, ?, ?, ?)",
                (
                    arn,
                    seq,
                    env.next_state_name,
                    _json(env.states.get_input()),
                    _json(env.variable_store._inner_scope),
                    env.event_history_context.source_event_id,
                ),
            )
            if sfn_mocks.is_counting(env.mock_test_case):  # re-entered here, it counts on from these
                db.execute(
                    "UPDATE sfn_mock_cases SET counts = ? WHERE arn = ?", (_json(env.mock_test_case.counts()), arn)
                )
        crash_points.passed("state")

    def token_for(self, arn: str) -> str | None:
        """The token to reuse for the state being re-entered (None: make a new one)."""
        resuming = self._resuming.get(arn)
        if resuming and resuming["seq"] == self._entries.get(arn):
            return resuming.get("token")
        return None

    def token_made(self, arn: str, token: str) -> None:
        self._journal.write(
            "INSERT OR IGNORE INTO sfn_tokens (token, arn, seq) VALUES (?, ?, ?)", (token, arn, self._entries.get(arn))
        )

    def expired(self, token: str) -> None:
        """The task holding ``token`` was re-entered after its timeout fell due: it times out without calling."""
        self._expired.add(token)

    def submitted_output(self, token: str | None) -> Any:
        """The journaled output of the task's call when the task holding ``token`` (re-entered after a restart)
        had already called it, else a marker that it must be called. Keyed by the token, not by the state the
        execution is in: moto calls the task on a thread of its own, which may still run after a timeout has moved
        the execution on."""
        if token in self._expired:
            return None  # timed out already: the call is not made (moto runs it on a thread the timeout left)
        submitted = self._submitted.get(token) if token else None
        return _NOT_SUBMITTED if submitted is None else json.loads(submitted)

    def answered(self, token: str, answer: dict) -> bool:
        """Journal an answer to a token before delivering it. False: the token is unknown to the journal."""
        with self._journal.transaction() as db:
            known = db.execute("SELECT answer FROM sfn_tokens WHERE token = ?", (token,)).fetchone()
            if known is None:
                return False
            if known[0] is None:
                db.execute("UPDATE sfn_tokens SET answer = ? WHERE token = ?", (_json(answer), token))
        return True

    def journaled_answer(self, token: str) -> dict | None:
        rows = self._journal.read("SELECT answer FROM sfn_tokens WHERE token = ?", (token,))
        return json.loads(rows[0][0]) if rows and rows[0][0] else None

    def token_is_waiting(self, token: str) -> bool:
        """The token belongs to a running execution that is being resumed (its state not entered yet)."""
        rows = self._journal.read(
            "SELECT e.status FROM sfn_tokens t JOIN sfn_executions e ON e.arn = t.arn WHERE t.token = ?", (token,)
        )
        return bool(rows) and rows[0][0] == "RUNNING"

    def timer(self, arn: str, kind: str, seconds: float) -> float:
        """Real seconds left for a timer of the current state entry: the whole ``seconds`` the first time (its due
        date is journaled), what is left of it when the state is re-entered after a restart."""
        seq = self._entries.get(arn)
        if seq is None:
            return seconds
        now = time.time()
        rows = self._journal.read("SELECT due FROM sfn_timers WHERE arn = ? AND seq = ? AND kind = ?", (arn, seq, kind))
        if rows:
            return max(0.0, rows[0][0] - now)
        self._journal.write("INSERT OR IGNORE INTO sfn_timers VALUES (?, ?, ?, ?)", (arn, seq, kind, now + seconds))
        return seconds

    def ended(self, execution: Any) -> None:
        output = _json(execution.output) if execution.output is not None else None
        with self._journal.transaction() as db:
            self._write_events(db, execution.exec_arn)
            db.execute(
                "UPDATE sfn_executions SET status = ?, stop_date = ?, output = ?, error = ?, cause = ? WHERE arn = ?",
                (
                    execution.exec_status.value,
                    (execution.stop_date or _now()).timestamp(),
                    output,
                    execution.error,
                    execution.cause,
                    execution.exec_arn,
                ),
            )
        self._entries.pop(execution.exec_arn, None)
        self._resuming.pop(execution.exec_arn, None)

    # --- restore -------------------------------------------------------------------------------------------

    def restore(self) -> dict[str, int]:
        """Bring back every journaled execution: finished ones as they ended, running ones re-entered."""
        from moto.stepfunctions.parser.api import ExecutionStatus

        backend = self._backend()
        counts = {"finished": 0, "resumed": 0}
        rows = self._journal.read(
            "SELECT arn, machine_arn, name, input, d.definition, role_arn, start_date, status, stop_date, output,"
            " error, cause FROM sfn_executions e JOIN sfn_definitions d ON d.sha256 = e.definition"
            " ORDER BY start_date"
        )
        # how many times each redriven execution was redriven, and when last: one read for all
        redrives = {
            arn: (count, _datetime(date))
            for arn, count, date in self._journal.read("SELECT arn, count, date FROM sfn_redrives")
        }
        # An execution runs on the definition it started with, as in AWS: its state machine is a copy of the
        # deployed one holding that definition, one copy for all the executions that share it (as moto's executions
        # share their state machine).
        clones: dict[tuple[str, str], Any] = {}
        for arn, machine_arn, name, input_, definition, role_arn, start, status, stop, output, error, cause in rows:
            try:
                machine = backend.describe_state_machine(machine_arn)
            except Exception:  # noqa: BLE001 - the state machine is no longer deployed: nothing to attach it to
                continue
            clone = clones.get((machine_arn, definition))
            if clone is None:
                clone = copy.deepcopy(machine, {id(machine.executions): [], id(machine.backend): machine.backend})
                clone.definition = definition
                clones[machine_arn, definition] = clone
            execution = _ResumedExecution(
                name=name,
                sm_type=clone.sm_type,
                role_arn=role_arn,
                exec_arn=arn,
                account_id=self._account_id,
                region_name=self._region,
                state_machine=clone,
                start_date=_datetime(start),
                cloud_watch_logging_session=None,
                input_data=input_,
                trace_header=None,
                activity_store={},
            )
            if arn in redrives:
                execution.redrive_count, execution.redrive_date = redrives[arn]
            if status != "RUNNING":
                execution.exec_worker = execution._get_start_execution_worker()
                env = execution.exec_worker._get_evaluation_environment()
                env.event_manager = _RestoredEventManager(functools.partial(self._history, arn))
                execution.exec_worker.env = env
                execution.exec_status = ExecutionStatus(status)
                execution.stop_date = _datetime(stop) if stop else None
                execution.output = json.loads(output) if output is not None else None
                execution.error, execution.cause = error, cause
                machine.executions.append(execution)
                counts["finished"] += 1
                continue
            execution.resume_with = self._resume_point(arn, self._history(arn))
            self._restore_mock_case(execution)
            machine.executions.append(execution)
            execution.start()
            counts["resumed"] += 1
        return counts

    def _history(self, arn: str) -> list[dict[str, Any]]:
        """The journaled history of ``arn``, oldest first: one decode of the whole, not one per event (a loan's
        history is about 50 events; a restart reads every running execution's, a redrive its execution's, and an
        ended one's is read when first asked for)."""
        rows = self._journal.read("SELECT event FROM sfn_events WHERE arn = ? ORDER BY id", (arn,))
        return [_with_datetime(event) for event in json.loads("[" + ",".join(row[0] for row in rows) + "]")]

    # --- RedriveExecution ----------------------------------------------------------------------------------

    def redrive(self, backend: Any, arn: str) -> Any:
        """Redrive the execution ``arn`` (moto's ``ExecutionDoesNotExist`` / ``InvalidArn`` when there is none):
        re-entered at its last checkpoint with its history, an ``ExecutionRedriven`` event and the same ARN.
        Returns the redrive date. Journaled before it returns, so a restart carries the redriven run on."""
        execution = backend.describe_execution(arn)
        with self._redrive_lock:  # two redrives at once: the second finds it RUNNING
            reason = not_redrivable(execution)
            if reason is not None:
                raise ExecutionNotRedrivable(reason)
            count = getattr(execution, "redrive_count", 0) + 1
            date = _now()
            events = self._history(arn)
            redriven = {
                "id": len(events) + 1,
                "previousEventId": len(events),
                "timestamp": date,
                "type": "ExecutionRedriven",
                "executionRedrivenEventDetails": {"redriveCount": count},
            }
            redriven = _with_datetime(json.loads(_json(redriven)))  # as journaled events come back
            events.append(redriven)
            seq = len(events)
            with self._journal.transaction() as db:
                db.execute("INSERT OR REPLACE INTO sfn_events VALUES (?, ?, ?)", (arn, seq, _json(redriven)))
                db.execute(
                    "UPDATE sfn_executions SET status = 'RUNNING', stop_date = NULL, output = NULL, error = NULL,"
                    " cause = NULL WHERE arn = ?",
                    (arn,),
                )
                db.execute("INSERT OR REPLACE INTO sfn_redrives VALUES (?, ?, ?)", (arn, count, date.timestamp()))
                # the failed state is re-entered after the ExecutionRedriven event: its StateEntered points at it
                db.execute("UPDATE sfn_checkpoints SET seq = ?, source_event_id = ? WHERE arn = ?", (seq, seq, arn))
            point = self._redrive_point(arn, events)
            self._start_again(backend, execution, point, count, date)
        return date

    def _redrive_point(self, arn: str, events: list[dict]) -> dict[str, Any]:
        rows = self._journal.read(
            "SELECT seq, state, input, variables, source_event_id FROM sfn_checkpoints WHERE arn = ?", (arn,)
        )
        if not rows:  # it ended before entering any state: from StartAt again, its history kept
            return {"keeper": self, "events": events, "checkpoint": None}
        seq, state, input_, variables, source_event_id = rows[0]
        checkpoint = {
            "seq": seq,
            "state": state,
            "input": json.loads(input_),
            "variables": json.loads(variables),
            "source_event_id": source_event_id,
        }
        return {"keeper": self, "events": events, "checkpoint": checkpoint}

    def _start_again(self, backend: Any, ended: Any, point: dict[str, Any], count: int, date: Any) -> None:
        """Put a re-entering execution in ``ended``'s place (its state machine's list, same position) and start it."""
        machine = backend._get_state_machine_for_execution(ended.exec_arn)
        execution = _ResumedExecution(
            name=ended.name,
            sm_type=ended.sm_type,
            role_arn=ended.role_arn,
            exec_arn=ended.exec_arn,
            account_id=self._account_id,
            region_name=self._region,
            state_machine=ended.state_machine,  # the definition it started with, as AWS redrives
            start_date=ended.start_date,
            cloud_watch_logging_session=None,
            input_data=ended.execution_input,
            trace_header=ended.trace_header,
            activity_store={},
        )
        execution.redrive_count, execution.redrive_date = count, date
        execution.resume_with = point
        self._restore_mock_case(execution)
        position = next(i for i, listed in enumerate(machine.executions) if listed is ended)
        machine.executions[position] = execution
        execution.start()

    def _restore_mock_case(self, execution: Any) -> None:
        """A running execution started on a test case carries on with it, its invocations counted on from the
        checkpoint's (from 0 when it is re-entered from the start: the counts are written with the checkpoints)."""
        rows = self._journal.read("SELECT test_case, counts FROM sfn_mock_cases WHERE arn = ?", (execution.exec_arn,))
        if rows:
            test_case, counts = rows[0]
            execution.mock_case = sfn_mocks.MockCase.from_journal(test_case, f"the journal ({execution.exec_arn})")
            execution.mock_counts = json.loads(counts) if execution.resume_with["checkpoint"] else {}

    def _resume_point(self, arn: str, events: list[dict]) -> dict[str, Any]:
        rows = self._journal.read(
            "SELECT seq, state, input, variables, source_event_id FROM sfn_checkpoints WHERE arn = ?", (arn,)
        )
        if not rows:  # killed before its first state: start from the beginning, keeping ExecutionStarted
            self._journal.write("DELETE FROM sfn_events WHERE arn = ? AND id > 1", (arn,))
            return {"keeper": self, "events": events[:1], "checkpoint": None}
        seq, state, input_, variables, source_event_id = rows[0]
        # The interrupted state's events are replaced by those of its re-run (the same ids, from seq + 1 on).
        self._journal.write("DELETE FROM sfn_events WHERE arn = ? AND id > ?", (arn, seq))
        point = {
            "keeper": self,
            "events": events[:seq],
            "checkpoint": {
                "seq": seq,
                "state": state,
                "input": json.loads(input_),
                "variables": json.loads(variables),
                "source_event_id": source_event_id,
            },
        }
        tokens = self._journal.read("SELECT token, submitted FROM sfn_tokens WHERE arn = ? AND seq = ?", (arn, seq))
        if tokens:
            token, submitted = tokens[0]
            self._resuming[arn] = {"seq": seq, "token": token}
            if submitted is not None:
                self._submitted[token] = submitted
        return point


_NOT_SUBMITTED = object()


def not_redrivable(execution: Any) -> str | None:
    """Why ``execution`` cannot be redriven (AWS's rules, its words where it has them), or None."""
    from moto.stepfunctions.parser.api import StateMachineType

    status = execution.exec_status.value if execution.exec_status is not None else "RUNNING"
    if execution.sm_type == StateMachineType.EXPRESS:
        return "Execution is of an EXPRESS state machine: only STANDARD executions can be redriven"
    if status not in REDRIVABLE:
        return f"Execution is {status}: only a FAILED, TIMED_OUT or ABORTED execution can be redriven"
    if getattr(execution, "redrive_count", 0) >= MAX_REDRIVES:
        return f"Execution was redriven {MAX_REDRIVES} times already, the most Step Functions allows"
    stopped = execution.stop_date
    if stopped is not None and (_now() - stopped).total_seconds() > REDRIVABLE_DAYS * 86400:
        return f"Execution ended more than {REDRIVABLE_DAYS} days ago, past its redrivable period"
    return None


def redrive(backend: Any, arn: str) -> Any:
    """``RedriveExecution`` for the running runtime (patches/moto_stepfunctions.py): the redrive date."""
    keeper = _current
    if keeper is None:
        raise ExecutionNotRedrivable("the local runtime is not running")
    return keeper.redrive(backend, arn)


def _now() -> Any:
    return datetime.datetime.now(tz=datetime.UTC)


class _Ending:
    """An execution as moto's ``_reflect_execution_status`` ends it, without changing it: what moto assigns is kept
    in ``assigned`` and read back from there; everything else is the execution's own."""

    def __init__(self, execution: Any) -> None:
        object.__setattr__(self, "assigned", {})
        object.__setattr__(self, "_execution", execution)

    def __getattr__(self, name: str) -> Any:
        assigned = object.__getattribute__(self, "assigned")
        return assigned[name] if name in assigned else getattr(object.__getattribute__(self, "_execution"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        self.assigned[name] = value


def _with_datetime(event: dict[str, Any]) -> dict[str, Any]:
    """A journaled history event with its ``timestamp`` a datetime again, as moto's own events hold it (``_json``
    wrote it as text): moto writes a text timestamp by parsing it with dateutil at every GetExecutionHistory, a
    quarter of the console's execution page on a restarted runtime."""
    if isinstance(event.get("timestamp"), str):
        event["timestamp"] = datetime.datetime.fromisoformat(event["timestamp"])
    return event


def _datetime(timestamp: float) -> Any:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)


# --- the hooks into moto's interpreter (installed once per process; each call finds its keeper) ---------------

_ResumedExecution: Any = None
_RestoredEventManager: Any = None


def _install_hooks() -> None:
    global _installed, _ResumedExecution, _RestoredEventManager
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.component.common.flow.start_at import StartAt
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_module,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_factory,  # noqa: F401 - imports every service task class, so all are wrapped below
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackPoolManager
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.asl.eval.states import ContextObject
    from moto.stepfunctions.parser.backend import execution as execution_module
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    Execution = execution_module.Execution
    Communication = execution_module.BaseExecutionWorkerCommunication
    CallbackTask = callback_module.StateTaskServiceCallback

    _originals.update(
        start=Execution.start,
        publish=EventManager._publish_history_event,
        program_body=Program._eval_body,
        update_token=ContextObject.update_task_token,
        reflect=Communication._reflect_execution_status,
        pool_add=CallbackPoolManager.add,
        environment=ExecutionWorker._get_evaluation_environment,
    )

    def start(self: Any) -> None:
        from moto.stepfunctions.parser.api import ExecutionStatus

        keeper = _current
        if getattr(self, "resume_with", None) is None:
            # a test case StartExecution was given (arn#TestCase: patches/moto_stepfunctions.py), or None
            self.mock_case = sfn_mocks.starting_case()
        if keeper is not None and getattr(self, "resume_with", None) is None:
            # The execution is already in its state machine's list, where other threads read its status: give it
            # one before the journal write (moto sets it in start(), a moment later).
            self.exec_status = ExecutionStatus.RUNNING
            keeper.started(self)  # journaled before StartExecution answers
        _originals["start"](self)

    def evaluation_environment(self: Any) -> Any:
        env = _originals["environment"](self)
        execution = getattr(self._execution_communication, "execution", None)
        case = getattr(execution, "mock_case", None)
        if case is not None:  # moto's Environment and its frames read mock_test_case (sfn_mocks.py)
            env.mock_test_case = case.to_moto(getattr(execution, "mock_counts", None))
        # $$.Execution.RedriveCount (and RedriveTime once redriven), as AWS gives them: a Task that names something
        # after its execution can tell a redrive from the first run (the hybrids' durable execution names)
        context = env.states.context_object.context_object_data["Execution"]
        context["RedriveCount"] = getattr(execution, "redrive_count", 0)
        if getattr(execution, "redrive_date", None) is not None:
            from duoflow.runtime.patches.moto_stepfunctions import aws_timestamp

            context["RedriveTime"] = aws_timestamp(execution.redrive_date)
        keeper = _current
        if keeper is not None:
            env.event_manager.duoflow_keeper = (keeper, self._evaluation_details.execution_details.arn)
        return env

    def publish(self: Any, **kwargs: Any) -> None:
        _originals["publish"](self, **kwargs)
        tag = getattr(self, "duoflow_keeper", None)
        if tag is not None and tag[0].is_open:
            tag[0].event(tag[1], self._history_event_list[-1])

    def program_body(self: Any, env: Any) -> None:
        """moto's state loop (program.py ``_eval_body``) with a checkpoint before each top-level state."""
        keeper, arn = (None, None) if env.is_frame() else _keeper_of(env)
        if keeper is None:
            _originals["program_body"](self, env)
            return
        try:
            while env.is_running():
                keeper.entering(arn, env)
                self._get_state(env.next_state_name).eval(env)
                env.stack.clear()
                env.heap.clear()
        except FailureEventException as failure:
            if env.is_running():  # a state interrupted by StopExecution fails after the stop: it stays ABORTED
                env.set_error(error=failure.get_execution_failed_event_details())
        except Exception as error:  # noqa: BLE001 - as moto: an interpreter error fails the execution
            from moto.stepfunctions.parser.api import ExecutionFailedEventDetails

            if env.is_running():
                cause = f"{type(error).__name__}({error})"
                env.set_error(ExecutionFailedEventDetails(error="States.Runtime", cause=cause))
        _originals["program_body"](self, env)  # not running any more: moto's tail adds the terminal event

    def update_task_token(self: Any) -> str:
        arn = self.context_object_data["Execution"]["Id"]
        keeper = _current
        reused = keeper.token_for(arn) if keeper is not None else None
        if reused is None:
            token = _originals["update_token"](self)
        else:
            token = reused
            self.context_object_data["Task"] = {"Token": token}
        if keeper is not None:
            keeper.token_made(arn, token)
        return token

    def pool_add(self: Any, callback_id: str) -> Any:
        endpoint = _originals["pool_add"](self, callback_id)
        keeper = _current
        answer = keeper.journaled_answer(callback_id) if keeper is not None else None
        if answer is not None:  # answered before the restart, or while the state was being re-entered
            endpoint.notify(outcome=_outcome(callback_id, answer))
        return endpoint

    def once_submitted(original: Any) -> Any:
        def service_task(self: Any, env: Any, *args: Any, **kwargs: Any) -> Any:
            keeper, _arn = _keeper_of(env)
            if keeper is not None and self._is_integration_pattern():
                task = env.states.context_object.context_object_data.get("Task") or {}
                output = keeper.submitted_output(task.get("Token"))
                if output is not _NOT_SUBMITTED:  # called before the restart: do not call it twice
                    env.stack.append(output)
                    return None
            return original(self, env, *args, **kwargs)

        return service_task

    def reflect(self: Any) -> None:
        """moto's ``_reflect_execution_status`` with the end made visible last: moto set the status first and then
        the output (or the error and cause), so a DescribeExecution in between saw SUCCEEDED without an output or
        FAILED without its error; and the journal recorded the end after callers could see it. Here moto's
        assignments are collected, the others made, the end journaled, and the status set last; then the run's
        watcher is told (``Endings``)."""
        execution = self.execution
        ending = _Ending(execution)
        _originals["reflect"](SimpleNamespace(execution=ending))
        for name, value in ending.assigned.items():
            if name != "exec_status":
                setattr(execution, name, value)
        keeper, _arn = _keeper_of(execution.exec_worker.env)
        if keeper is not None:
            keeper.ended(ending)
        if "exec_status" in ending.assigned:
            execution.exec_status = ending.assigned["exec_status"]
        if keeper is not None:
            keeper.endings.ended(execution.name)

    class ResumingWorker(ExecutionWorker):
        """Starts an execution at its journaled checkpoint instead of its StartAt state."""

        resume_with: dict[str, Any]

        def _execution_logic(self) -> None:
            point = self.resume_with
            checkpoint = point["checkpoint"]
            if checkpoint is None and not point["events"]:  # killed before it had begun: begin
                super()._execution_logic()
                return
            program = self._get_evaluation_entrypoint()
            env = self.env = self._get_evaluation_environment()
            events = copy.deepcopy(point["events"])
            env.event_manager._history_event_list.extend(events)
            env.event_manager._event_id_gen._next_id = len(events) + 1
            env.event_history_context.last_published_event_id = len(events)
            if checkpoint is None:
                program.eval(env)  # from StartAt, its ExecutionStarted event kept
            else:
                env.event_history_context.source_event_id = checkpoint["source_event_id"]
                env.variable_store._inner_scope.update(checkpoint["variables"])
                env.states.reset(checkpoint["input"])
                # The same program entered at the checkpoint's state: Program.eval (moto's, or the in-thread
                # speed-up of patches/moto_stepfunctions.py) begins at its StartAt; the parsed program is shared.
                resumed = copy.copy(program)
                resumed.start_at = StartAt(checkpoint["state"])
                resumed.eval(env)
            self._execution_communication.terminated()

    class RestoredEventManager(EventManager):
        """The event manager of an execution that had ended before a restart. Its history is read from the journal
        the first time it is asked for (``get_event_history``, what moto reads of an ended execution's events):
        reading every ended execution's history at the start was 70 % of restoring them, and kept them all in
        memory for an execution page nobody might open."""

        def __init__(self, read_history: Callable[[], list[dict[str, Any]]]) -> None:
            super().__init__()
            self._read_history: Callable[[], list[dict[str, Any]]] | None = read_history

        def get_event_history(self) -> Any:
            with self._mutex:
                if self._read_history is not None:
                    self._history_event_list.extend(self._read_history())
                    self._read_history = None
            return super().get_event_history()

    _RestoredEventManager = RestoredEventManager

    class ResumedExecution(Execution):
        resume_with: dict[str, Any] | None = None

        def _get_start_execution_worker(self) -> Any:
            plain = super()._get_start_execution_worker()
            if self.resume_with is None:
                return plain
            worker = ResumingWorker(
                evaluation_details=plain._evaluation_details,
                exec_comm=plain._execution_communication,
                cloud_watch_logging_session=None,
                activity_store=self._activity_store,
            )
            worker.resume_with = self.resume_with
            return worker

    _ResumedExecution = ResumedExecution
    Execution.start = start
    ExecutionWorker._get_evaluation_environment = evaluation_environment
    EventManager._publish_history_event = publish
    Program._eval_body = program_body
    ContextObject.update_task_token = update_task_token
    CallbackPoolManager.add = pool_add
    pending, task_classes = [CallbackTask], []
    while pending:
        task_class = pending.pop()
        task_classes.append(task_class)
        pending.extend(task_class.__subclasses__())
    for task_class in task_classes:
        if "_eval_service_task" in task_class.__dict__:
            _originals[f"service_task:{task_class.__qualname__}"] = task_class.__dict__["_eval_service_task"]
            task_class._eval_service_task = once_submitted(task_class.__dict__["_eval_service_task"])
    Communication._reflect_execution_status = reflect
    _installed = True


def _outcome(token: str, answer: dict) -> Any:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeFailure, CallbackOutcomeSuccess

    if answer["kind"] == "success":
        return CallbackOutcomeSuccess(callback_id=token, output=answer["output"])
    return CallbackOutcomeFailure(callback_id=token, error=answer.get("error"), cause=answer.get("cause"))


def journal_answer(token: str, answer: dict) -> bool:
    """Called by ``SendTaskSuccess`` / ``SendTaskFailure`` before delivering: True when the journal holds the token
    (the answer is now on disk and reaches the task even if its execution is still being re-entered)."""
    keeper = _current
    return keeper is not None and keeper.answered(token, answer)


def answer_is_held(token: str) -> bool:
    """An answer for a token whose execution is running but not waiting yet (being re-entered after a restart): the
    journal holds it and the task takes it when it registers its token."""
    keeper = _current
    return keeper is not None and keeper.token_is_waiting(token)


def timer_seconds(env: Any, kind: str, seconds: float) -> float:
    """Real seconds to wait for a task timeout or a Wait state of this execution's current state: its due date is
    journaled, so a restart does not give it a fresh duration."""
    keeper, arn = _keeper_of(env)
    if keeper is None:
        return seconds
    context = env.states.context_object.context_object_data
    state = context.get("State") or {}
    left = keeper.timer(arn, f"{kind}:{state.get('Name')}:{state.get('RetryCount', 0)}", seconds)
    token = (context.get("Task") or {}).get("Token")
    if left <= 0 and token:
        keeper.expired(token)
    return left
