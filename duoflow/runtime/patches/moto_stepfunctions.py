"""moto's Step Functions (``pins.PINNED["moto"]``, 5.2.5): its task-token answers, its timers, its context
timestamps, its definition errors, and four speed-ups.

Fixes (always installed):

* ``StepFunctionResponse.send_task_success`` / ``send_task_failure`` / ``send_task_heartbeat`` (the request
  layer, moto/stepfunctions/responses.py). moto's ``SendTaskFailure`` passes only ``error`` on; AWS keeps
  ``cause`` too, and a Catch reads it from ``$states.errorOutput``. moto's backend then looks for the token in
  every execution, reading ``execution.exec_worker.env``: an execution started a moment ago has no worker
  environment yet, and the AttributeError aborts the search, so an answer for another execution is lost. Here
  the three requests are answered in this one layer (moto's backend methods are left as they are): the
  parameters moto reads, plus ``cause``; only executions that have an environment are searched; and an answer
  is journaled first (duoflow/runtime/keep_step_functions.py), so once acknowledged it survives a crash, and a
  task being re-entered after a restart takes it when it registers its token.
* Time (duoflow/runtime/time_control.py): ``Timeout._eval_body``, ``Heartbeat._eval_body``,
  ``WaitFunction._wait_interval`` and the ``time`` module of moto's retrier (``retrier_decl.time``, which only
  calls ``time.sleep``) take the runtime's :class:`TimeControl` scale, and a task timeout or a Wait keeps its
  journaled due date across a restart (``keep_step_functions.timer_seconds``). The ``threading`` module of
  moto's ``execute_state`` (which only calls ``threading.Event()``, for the event a task's timeout waits on) gives
  an event whose timed wait is one of the runtime's :class:`TaskTimeouts`, so ``LocalRuntime.advance_timeouts``
  can bring a pending task timeout forward. Uninstalled, moto waits in real time again.
* Context timestamps: ``ExecutionData`` (as moto/stepfunctions/parser/backend/execution_worker.py calls it) and
  ``StateData`` (as moto/stepfunctions/parser/asl/component/state/state.py calls it). moto puts the execution's
  start time into the context object as a Python ``datetime`` (``$$.Execution.StartTime``), so a state that passes
  it on fails with "Object of type datetime is not JSON serializable", and a JSONata state that reads
  ``$states.context`` fails with States.Runtime; it writes ``$$.State.EnteredTime`` with ``isoformat()``
  (microseconds, ``+00:00``). AWS gives both as ISO-8601 strings with milliseconds in UTC,
  ``2026-12-03T10:00:00.123Z``; here both are built that way (docs/upstream/moto-context-timestamps.md).
* ``StepFunctionsParserBackend._validate_definition`` (moto/stepfunctions/parser/models.py): moto raises its
  ``InvalidDefinition`` with the code in a ``code`` attribute its error class does not read, so the client sees
  an empty error code, and the message echoes the whole definition (or the grammar's list of every expected
  token). AWS answers ``InvalidDefinition`` with "Invalid State Machine Definition: '<CODE>: <what, where>'"; here
  the code is ``InvalidDefinition`` and the message names the problem only: invalid JSON, a missing ``StartAt``
  / ``Next`` / ``Default`` target (which moto accepts), or the grammar's first complaint
  (docs/upstream/moto-invalid-definition.md).
* Step Functions Local's mock files (duoflow/runtime/sfn_mocks.py): ``StepFunctionsParserBackend.start_execution``
  accepts ``stateMachineArn#TestCaseName``, as Step Functions Local does. moto's vendored interpreter keeps
  LocalStack's mocking machinery (an Environment's ``mock_test_case``, applied to Task states by
  ``mock_eval_utils``), but its loader is a stub and ``start_execution`` looks the whole ARN up, so the request
  failed with StateMachineDoesNotExist. Here the test case is taken from the runtime's mock configuration (an
  unknown one, or none loaded, is refused with InvalidName saying which) and the execution is started on the
  plain ARN while ``sfn_mocks.starting`` holds the test case, which the Step Functions keeper attaches to the
  execution (duoflow/runtime/keep_step_functions.py).
  ``Environment.get_current_mocked_response``: moto picks a mocked response by the state's ``RetryCount``, so a
  state entered again (a loop, a Map iteration) starts again at invocation 0; Step Functions Local numbers a
  state's invocations across the whole execution (LocalStack fixed the same in localstack#13693). Here the test
  case counts them (``sfn_mocks.MockCase.to_moto``), and the count is journaled at each checkpoint.
  ``mock_eval_utils._eval_mocked_response_throw``: moto names a thrown error with ``CustomErrorName``, which refuses
  names beginning with ``States.``, so a mocked ``States.Timeout`` (the way to test a Catch on a task's timeout)
  failed the state with States.Runtime instead; here a ``States.`` name Step Functions knows is thrown as that
  error (a Catch on ``States.Timeout`` takes it, one on ``States.TaskFailed`` does not, as in AWS). Both written
  up for moto in docs/upstream/moto-mocked-responses.md.

* ``RedriveExecution`` (``StepFunctionResponse.redrive_execution``, which moto 5.2.5 does not have: the request
  failed with "not yet implemented") and ``StepFunctionResponse.describe_execution``. A FAILED, TIMED_OUT or ABORTED
  execution of a STANDARD state machine continues from the state that failed, with that state's input, keeping its
  history and what succeeded, under the same ARN, with an ``ExecutionRedriven`` event; the Step Functions keeper
  does it with the re-entry it uses after a restart (duoflow/runtime/keep_step_functions.py ``redrive``), so it is
  journaled like any execution. Refusals as AWS answers them: ``ExecutionDoesNotExist``, ``InvalidArn`` (moto's),
  ``ExecutionNotRedrivable`` with the reason. ``DescribeExecution`` gains ``redriveCount``, ``redriveDate`` (once
  redriven), ``redriveStatus`` (REDRIVABLE / NOT_REDRIVABLE) and ``redriveStatusReason``, which moto leaves out.

* ``StepFunctionResponse.describe_state_machine_for_execution``: moto's parser starts each execution on a snapshot
  of its state machine (``start_execution`` deep-copies it: "a snapshot of the state machine definition for this
  execution"), but ``DescribeStateMachineForExecution`` answered the state machine as it is now: after an
  ``UpdateStateMachine``, an older execution was described (and drawn by the console) with a definition it never
  ran. Here the definition, role and configurations come from the execution's own snapshot, as LocalStack's
  provider (where moto's parser comes from) answers them; moto's refusals for an unknown execution stand.

* ``Execution.stop`` (moto/stepfunctions/parser/backend/execution.py, what ``StopExecution`` calls): moto marks the
  program stopped, but a Task waiting for its task token keeps waiting (its state waits for the task's thread, and
  the task for an answer that will not come), so the execution stayed RUNNING for ever. Here the execution's
  waiting callbacks are interrupted as well: the state ends, and the execution ends ABORTED, as in AWS. The
  interrupted task would then record a TaskTimedOut (and a Catch's states) after the stop; AWS's history of a
  stopped execution ends with ExecutionAborted, so ``EventManager.add_event`` records only ``Execution*`` events of
  a stopped execution.
* ``ExecutionWorker.start`` (moto/stepfunctions/parser/backend/execution_worker.py): moto appends every thread its
  interpreter starts (an execution's, each Task's, each Parallel branch's, each task-token wait's) to the
  module-level list ``moto.stepfunctions.parser.utils.TMP_THREADS`` and never removes one, so every finished
  execution left about ten ``Thread`` objects behind (some 24 KiB an application; 240 MB over a burst of 10,000).
  Nothing in moto reads the list. Here each execution's start first drops the threads that have ended, once the
  list has doubled since the last pass, so the list holds about what is running.

Speed-ups (left out with ``DUOFLOW_SPEEDUPS=0``; each changes no behaviour):

* ``ExecutionWorker._get_evaluation_entrypoint``: moto parses a state machine's definition with ANTLR on every
  ``start_execution`` (tens of ms of CPU); the parsed program is a tree of immutable components (every
  per-execution value lives in the Environment), so one parse per definition serves every execution, the parse
  that validated the definition when the state machine was created included (a runtime starting on its state
  creates every state machine again: ~0.2 s of CPU each). The programs are kept for the process, so a second
  runtime in it (the test suite starts hundreds) parses nothing; a process that forks servers parses ahead
  (``parse_ahead``); and each is kept pickled on disk for the next process (``_asl_programs.py``).
* The import of ``moto.batch`` (not an attribute: ``sys.modules``, so not a :class:`Target`; see
  :func:`_defer_moto_batch`). moto's ASL interpreter imports ``moto.batch.utils`` for one enum, and the package's
  ``__init__`` imports moto's whole Batch backend and, through it, EC2's: about a third of a server's start-up
  (1 s here). Here ``moto.batch`` is put in place without running its ``__init__``, which runs on the first
  attribute anyone reads of it (moto's backend lookup does, for a Batch request), so ``moto.batch`` answers as
  before. Not undone by uninstall: the package would load itself in full on first use either way.
* ``boto_client_for`` (moto/stepfunctions/parser/asl/utils/boto_client.py and the Task modules that imported it,
  ``CLIENT_USERS``): moto builds a new boto3 client for every Task (and ignores the Task's credentials when it
  does); clients are thread-safe, so one per service and region.
* ``StepFunctionBackend.describe_execution``: moto finds an execution by reading its state machine's list of
  executions from the start; a watcher following hundreds of runs read those lists hundreds of times a second.
  Here each state machine gets an index by ARN, extended with the executions appended since the last lookup
  (moto only appends).
* ``parse`` in the JSONPath users (``JSONPATH_USERS``): moto parses a JSONPath (ResultPath, InputPath, a
  Parameters path …) with its PLY grammar each time a state uses it; the parsed paths are immutable trees, so each
  path is parsed once.
* ``Program.eval`` (moto/stepfunctions/parser/asl/component/program/program.py): moto runs every program (an
  execution's, each Map iteration's) in a thread of its own and joins it, with the definition's ``TimeoutSeconds``
  as the join's timeout; without a ``TimeoutSeconds`` the join waits for ever, so the thread only adds one to each
  running execution (one of the three an execution waiting for a task token holds; a burst of 10,000 applications
  ran 5,979 threads at once). Here a program without ``TimeoutSeconds`` runs in the thread that evaluates it, as moto's
  thread would have run it; an exception that escapes it is reported as that thread's would have been
  (``threading.excepthook``), and the caller goes on. A program with ``TimeoutSeconds`` keeps moto's thread.

Guarded by tests/runtime/test_time_control.py, test_state_machine.py, test_speedups.py and test_sfn_mocks.py,
which fail when the pinned moto moves what these rely on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from duoflow.runtime import sfn_mocks
from duoflow.runtime.patches._asl_programs import ParsedPrograms, parse
from duoflow.runtime.patches._patching import Patcher, Target
from duoflow.runtime.time_control import TaskTimeouts, TimeControl

LIBRARIES = ("moto",)

_RESPONSES = "moto.stepfunctions.responses"
_TASKS = "moto.stepfunctions.parser.asl.component.state.exec.state_task"
CLIENT_USERS = [
    f"{_TASKS}.lambda_eval_utils",
    *(
        f"{_TASKS}.service.state_task_service_{name}"
        for name in ("aws_sdk", "dynamodb", "sns", "sqs", "sfn", "events", "unsupported")
    ),
]
JSONPATH_USERS = (
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.utils.json_path",
)

_TASK_ANSWERS = tuple(
    Target(_RESPONSES, f"StepFunctionResponse.{name}")
    for name in ("send_task_success", "send_task_failure", "send_task_heartbeat")
)
_TIMEOUT = Target("moto.stepfunctions.parser.asl.component.common.timeouts.timeout", "Timeout._eval_body")
_HEARTBEAT = Target("moto.stepfunctions.parser.asl.component.common.timeouts.heartbeat", "Heartbeat._eval_body")
_WAIT = Target(
    "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function", "WaitFunction._wait_interval"
)
_RETRIER_TIME = Target("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl", "time")
_TASK_TIMEOUT_THREADING = Target("moto.stepfunctions.parser.asl.component.state.exec.execute_state", "threading")
_EXECUTION_DATA = Target("moto.stepfunctions.parser.backend.execution_worker", "ExecutionData")
_STATE_DATA = Target("moto.stepfunctions.parser.asl.component.state.state", "StateData")
_VALIDATE_DEFINITION = Target("moto.stepfunctions.parser.models", "StepFunctionsParserBackend._validate_definition")
_START_EXECUTION = Target("moto.stepfunctions.parser.models", "StepFunctionsParserBackend.start_execution")
_REDRIVE_EXECUTION = Target(_RESPONSES, "StepFunctionResponse.redrive_execution")
_DESCRIBE_EXECUTION_RESPONSE = Target(_RESPONSES, "StepFunctionResponse.describe_execution")
_MACHINE_FOR_EXECUTION = Target(_RESPONSES, "StepFunctionResponse.describe_state_machine_for_execution")
_STOP_EXECUTION = Target("moto.stepfunctions.parser.backend.execution", "Execution.stop")
_ADD_EVENT = Target("moto.stepfunctions.parser.asl.eval.event.event_manager", "EventManager.add_event")
_WORKER_START = Target("moto.stepfunctions.parser.backend.execution_worker", "ExecutionWorker.start")
_MOCKED_RESPONSE = Target("moto.stepfunctions.parser.asl.eval.environment", "Environment.get_current_mocked_response")
_MOCKED_THROW = Target(f"{_TASKS}.mock_eval_utils", "_eval_mocked_response_throw")
_ENTRYPOINT = Target("moto.stepfunctions.parser.backend.execution_worker", "ExecutionWorker._get_evaluation_entrypoint")
_CLIENT_FACTORY = Target("moto.stepfunctions.parser.asl.utils.boto_client", "boto_client_for")
_CLIENT_USERS = tuple(Target(module, "boto_client_for") for module in CLIENT_USERS)
_DESCRIBE_EXECUTION = Target("moto.stepfunctions.models", "StepFunctionBackend.describe_execution")
_JSONPATH_PARSERS = tuple(Target(module, "parse") for module in JSONPATH_USERS)
_PROGRAM_EVAL = Target("moto.stepfunctions.parser.asl.component.program.program", "Program.eval")

FIXES = (
    *_TASK_ANSWERS,
    _TIMEOUT,
    _HEARTBEAT,
    _WAIT,
    _RETRIER_TIME,
    _TASK_TIMEOUT_THREADING,
    _EXECUTION_DATA,
    _STATE_DATA,
    _VALIDATE_DEFINITION,
    _START_EXECUTION,
    _MOCKED_RESPONSE,
    _MOCKED_THROW,
    _REDRIVE_EXECUTION,
    _DESCRIBE_EXECUTION_RESPONSE,
    _MACHINE_FOR_EXECUTION,
    _STOP_EXECUTION,
    _ADD_EVENT,
    _WORKER_START,
)
SPEEDUPS = (_ENTRYPOINT, _CLIENT_FACTORY, *_CLIENT_USERS, _DESCRIBE_EXECUTION, *_JSONPATH_PARSERS, _PROGRAM_EVAL)

_patcher = Patcher(FIXES, SPEEDUPS)
MIN_THREADS_KEPT = 256  # moto's TMP_THREADS is pruned once it holds this many (and then at twice what it kept)
_active = TimeControl.real()  # the scale moto's timers run at (the running runtime's)
_task_timeouts = TaskTimeouts()  # the running runtime's pending task timeouts
_mock_config: Callable[[], sfn_mocks.MockConfig | None] = lambda: None  # noqa: E731 - the running runtime's
# Each valid definition's parsed program (the speed-up ``_install_parsed_once``), by its text. Kept for the process,
# not per runtime: a process that starts runtimes one after another (the test suite, a forked server's parent)
# parses each definition once (ANTLR: 0.14-0.41 s each); and on disk, so the next process parses none
# (_asl_programs.py). A program is shared by every execution of its definition, as in one runtime; a changed
# definition is another text, parsed anew.
_PARSED_PROGRAMS = ParsedPrograms()


def install(
    time_control: TimeControl,
    speedups: bool,
    mock_config: Callable[[], sfn_mocks.MockConfig | None] = lambda: None,
) -> None:
    """``mock_config()`` gives the mock configuration test cases are taken from (None: none is loaded)."""
    global _active, _mock_config, _task_timeouts
    _active = time_control
    _mock_config = mock_config
    _task_timeouts = TaskTimeouts()
    if _patcher.installed:
        return
    if speedups:
        _defer_moto_batch()
    programs = _PARSED_PROGRAMS if speedups else None
    _install_task_answers()
    _install_timers()
    _install_context_timestamps()
    _install_definition_errors(programs)
    _install_mock_test_cases()
    _install_redrive()
    _install_machine_for_execution()
    _install_thread_pruning()
    if speedups:
        _install_parsed_once(programs)
        _install_client_cache()
        _install_execution_index()
        _install_jsonpath_cache()
        _install_program_in_this_thread()
    _patcher.installed = True


def uninstall() -> None:
    global _active, _mock_config, _task_timeouts
    _patcher.restore()
    _active = TimeControl.real()
    _task_timeouts = TaskTimeouts()
    _mock_config = lambda: None  # noqa: E731


# --- fixes ------------------------------------------------------------------------------------------------------


def _install_task_answers() -> None:
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.parser.api import ExecutionStatus, InvalidToken, TaskDoesNotExist, TaskTimedOut
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackConsumerTimeout,
        CallbackNotifyConsumerError,
        CallbackOutcomeFailure,
        CallbackOutcomeSuccess,
    )

    from duoflow.runtime import keep_step_functions

    def callback_pools(backend: Any, status: Any = None):
        for execution in backend._get_executions(status):
            environment = getattr(getattr(execution, "exec_worker", None), "env", None)
            if environment is not None:
                yield environment.callback_pool_manager

    def deliver(backend: Any, answer: Any, status: Any) -> None:
        for pool in callback_pools(backend, status):
            try:
                if answer(pool):
                    return
            except CallbackNotifyConsumerError as consumer_error:
                raise (
                    TaskTimedOut() if isinstance(consumer_error, CallbackConsumerTimeout) else TaskDoesNotExist()
                ) from None
        raise InvalidToken()

    def deliver_journaled(backend: Any, task_token: str, answer: dict, outcome: Any, status: Any) -> None:
        keep_step_functions.journal_answer(task_token, answer)
        try:
            deliver(backend, lambda pool: pool.notify(callback_id=task_token, outcome=outcome), status)
        except InvalidToken:
            if not keep_step_functions.answer_is_held(task_token):
                raise

    def send_task_success(self: Any) -> Any:
        task_token, output = self._get_param("taskToken"), self._get_param("output")
        success = CallbackOutcomeSuccess(callback_id=task_token, output=output)
        answer = {"kind": "success", "output": output}
        deliver_journaled(self.stepfunction_backend, task_token, answer, success, ExecutionStatus.RUNNING)
        return EmptyResult()

    def send_task_failure(self: Any) -> Any:
        task_token, error, cause = (self._get_param(name) for name in ("taskToken", "error", "cause"))
        failure = CallbackOutcomeFailure(callback_id=task_token, error=error, cause=cause)
        answer = {"kind": "failure", "error": error, "cause": cause}
        deliver_journaled(self.stepfunction_backend, task_token, answer, failure, None)
        return EmptyResult()

    def send_task_heartbeat(self: Any) -> Any:
        task_token = self._get_param("taskToken")
        heartbeat = lambda pool: pool.heartbeat(callback_id=task_token)  # noqa: E731
        deliver(self.stepfunction_backend, heartbeat, ExecutionStatus.RUNNING)
        return EmptyResult()

    for target, answer in zip(_TASK_ANSWERS, (send_task_success, send_task_failure, send_task_heartbeat), strict=True):
        _patcher.replace(target, answer)


def _install_timers() -> None:
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds

    from duoflow.runtime.keep_step_functions import timer_seconds

    def scaled_timeout_eval_body(self: Any, env: Any) -> None:
        seconds = self._eval_seconds(env=env)
        if seconds != TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS:
            seconds = timer_seconds(env, "timeout", _active.real_timeout_seconds(seconds))
        env.stack.append(seconds)

    def scaled_heartbeat_eval_body(self: Any, env: Any) -> None:
        env.stack.append(_active.real_timeout_seconds(self._eval_seconds(env=env)))

    def scaled_wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        # moto re-enters its wait on whole seconds; a scaled wait is a fraction of one, so wait once on the
        # program's event (set when the execution is stopped) for the scaled duration.
        deadline = time.monotonic() + timer_seconds(env, "wait", _active.real_seconds(wait_seconds))
        while env.is_running() and (remaining := deadline - time.monotonic()) > 0:
            env.program_state_event.wait(remaining)

    _patcher.replace(_TIMEOUT, scaled_timeout_eval_body)
    _patcher.replace(_HEARTBEAT, scaled_heartbeat_eval_body)
    _patcher.replace(_WAIT, scaled_wait_interval)
    _patcher.replace(_RETRIER_TIME, _ScaledSleep)
    _patcher.replace(_TASK_TIMEOUT_THREADING, _ThreadingForTaskTimeouts)


def advance_task_timeouts(modelled_seconds: float) -> int:
    """Bring the running runtime's pending task timeouts forward by ``modelled_seconds``, at its timeout scale
    (``TaskTimeouts.advance``)."""
    return _task_timeouts.advance(_active.real_timeout_seconds(modelled_seconds))


def pending_task_timeouts() -> int:
    return _task_timeouts.pending


class _ScaledSleep:
    """Stands in for the ``time`` module inside moto's retrier, which only calls ``time.sleep``."""

    @staticmethod
    def sleep(seconds: float) -> None:
        _active.sleep(seconds)


class _TaskEnded(threading.Event):
    """moto's ``terminated_event`` (``ExecutionState._evaluate_with_timeout``), set when the task ends: its timed
    wait is one of the running runtime's :class:`TaskTimeouts`."""

    def __init__(self) -> None:
        super().__init__()
        self._timeouts = _task_timeouts

    def set(self) -> None:
        super().set()
        self._timeouts.task_ended(self)

    def wait(self, timeout: float | None = None) -> bool:
        return super().wait() if timeout is None else self._timeouts.wait(self, timeout)


class _ThreadingForTaskTimeouts:
    """Stands in for the ``threading`` module inside moto's execute_state, which only calls ``threading.Event()``."""

    Event = _TaskEnded


def aws_timestamp(moment: Any) -> str:
    """A context-object timestamp as AWS writes it: ISO-8601, UTC, milliseconds, ``Z``."""
    import datetime

    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _install_context_timestamps() -> None:
    from moto.stepfunctions.parser.asl.eval.states import ExecutionData, StateData

    def execution_data(**fields: Any) -> Any:
        if fields.get("StartTime") is not None:
            fields["StartTime"] = aws_timestamp(fields["StartTime"])
        return ExecutionData(**fields)

    def state_data(**fields: Any) -> Any:
        if fields.get("EnteredTime") is not None:
            fields["EnteredTime"] = aws_timestamp(fields["EnteredTime"])
        return StateData(**fields)

    _patcher.replace(_EXECUTION_DATA, execution_data)
    _patcher.replace(_STATE_DATA, state_data)


def definition_problem(definition: str) -> str | None:
    """What AWS would refuse in a definition before any grammar: invalid JSON, a transition to no state. None: no
    such problem (the grammar still has its say)."""
    import json

    try:
        document = json.loads(definition)
    except ValueError as error:
        return f"INVALID_JSON_DESCRIPTION: {error}"
    if not isinstance(document, dict):
        return "SCHEMA_VALIDATION_FAILED: The definition must be a JSON object at /"
    return _missing_target(document, "")


def _missing_target(machine: dict, where: str) -> str | None:
    states = machine.get("States")
    if not isinstance(states, dict):
        return f"SCHEMA_VALIDATION_FAILED: The field 'States' is required at {where or '/'}"
    names = set(states)

    def missing(field: str, target: Any, path: str) -> str | None:
        if isinstance(target, str) and target not in names:
            return f"MISSING_TRANSITION_TARGET: Missing '{field}' target: {target} at {path}"
        return None

    problem = missing("StartAt", machine.get("StartAt"), f"{where}/StartAt")
    for name, state in states.items():
        if problem or not isinstance(state, dict):
            break
        at = f"{where}/States/{name}"
        problem = missing("Next", state.get("Next"), f"{at}/Next") or missing(
            "Default", state.get("Default"), f"{at}/Default"
        )
        for kind in ("Choices", "Catch"):
            for index, rule in enumerate(state.get(kind) or []):
                if not problem and isinstance(rule, dict):
                    problem = missing("Next", rule.get("Next"), f"{at}/{kind}[{index}]/Next")
        for index, branch in enumerate(state.get("Branches") or []):
            if not problem and isinstance(branch, dict):
                problem = _missing_target(branch, f"{at}/Branches[{index}]")
        for field in ("ItemProcessor", "Iterator"):
            if not problem and isinstance(state.get(field), dict):
                problem = _missing_target(state[field], f"{at}/{field}")
    return problem


def _install_definition_errors(programs: ParsedPrograms | None) -> None:
    """``programs``: where the parsed program of a valid definition is kept for its executions (the speed-up
    ``_install_parsed_once``); None: not kept."""
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException

    class AwsInvalidDefinition(AWSError):
        TYPE = "InvalidDefinition"
        STATUS = 400

        def __init__(self, problem: str) -> None:
            super().__init__(f"Invalid State Machine Definition: '{problem}'")

    def validate_definition(definition: str) -> None:
        problem = definition_problem(definition)
        if problem is None:
            try:
                if programs is not None:
                    programs.program(definition)  # parsed once, kept for the executions
                else:
                    parse(definition)
            except ASLParserException as error:
                # the grammar's first complaint, without its list of every token it would have accepted
                first = error.errors[0] if error.errors else "no details"
                problem = f"SCHEMA_VALIDATION_FAILED: {first.split(' expecting ')[0]}"
            except Exception as error:  # noqa: BLE001 - moto's preprocessor refuses with plain exceptions
                problem = f"SCHEMA_VALIDATION_FAILED: {type(error).__name__}: {error}"
        if problem is not None:
            raise AwsInvalidDefinition(problem[:500])

    _patcher.replace(_VALIDATE_DEFINITION, staticmethod(validate_definition))


def _install_mock_test_cases() -> None:
    from moto.stepfunctions.exceptions import InvalidName
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None, trace_header: Any = None
    ) -> Any:
        arn, test_case = sfn_mocks.split_arn(state_machine_arn)
        if test_case is None:
            return stock_start(self, state_machine_arn, name, execution_input, trace_header)
        config = _mock_config()
        if config is None:
            raise InvalidName(
                f"Invalid mock test case name '{test_case}': no mock configuration is loaded (duoflow serve "
                f"--mock-config FILE, the {sfn_mocks.ENVIRONMENT_VARIABLE} variable, or LocalRuntime(mock_config=...))"
            )
        machine = self.describe_state_machine(arn)  # StateMachineDoesNotExist names the ARN without the test case
        try:
            case = config.test_case(machine.name, test_case)
        except sfn_mocks.UnknownTestCase as error:
            raise InvalidName(f"Invalid mock test case name '{test_case}': {error}") from None
        with sfn_mocks.starting(case):  # moto creates and starts the execution within this call
            return stock_start(self, arn, name, execution_input, trace_header)

    def get_current_mocked_response(self: Any) -> Any:
        if sfn_mocks.is_counting(self.mock_test_case) and self.is_mocked_mode():
            return self.mock_test_case.next_response(self.next_state_name)
        return stock_response(self)

    def eval_mocked_response_throw(env: Any, mocked_response: Any) -> None:
        try:
            error_name = StatesErrorName.from_name(mocked_response.error)  # a States.* name Step Functions knows
        except ValueError:
            return stock_throw(env, mocked_response)  # any other name, as moto throws it
        details = TaskFailedEventDetails(error=mocked_response.error, cause=mocked_response.cause)
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=error_name,
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=details),
            )
        )

    stock_start = _patcher.replace(_START_EXECUTION, start_execution)
    stock_response = _patcher.replace(_MOCKED_RESPONSE, get_current_mocked_response)
    stock_throw = _patcher.replace(_MOCKED_THROW, eval_mocked_response_throw)


def _install_redrive() -> None:
    from moto.core.exceptions import AWSError
    from moto.core.responses import ActionResult

    from duoflow.runtime import keep_step_functions

    class ExecutionNotRedrivable(AWSError):
        TYPE = "ExecutionNotRedrivable"
        STATUS = 400

    def redrive_execution(self: Any) -> Any:
        arn = self._get_param("executionArn")
        try:
            date = keep_step_functions.redrive(self.stepfunction_backend, arn)
        except keep_step_functions.ExecutionNotRedrivable as refused:
            raise ExecutionNotRedrivable(str(refused)) from None
        return ActionResult({"redriveDate": date})

    def describe_execution(self: Any) -> Any:
        answer = stock_describe(self)
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        reason = keep_step_functions.not_redrivable(execution)
        answer.result["redriveCount"] = getattr(execution, "redrive_count", 0)
        if getattr(execution, "redrive_date", None) is not None:
            answer.result["redriveDate"] = execution.redrive_date
        answer.result["redriveStatus"] = "NOT_REDRIVABLE" if reason else "REDRIVABLE"
        if reason:
            answer.result["redriveStatusReason"] = reason
        return answer

    def stop(self: Any, stop_date: Any, error: Any, cause: Any) -> None:
        stock_stop(self, stop_date, error, cause)
        env = getattr(self.exec_worker, "env", None)
        if env is not None and not env.is_running():  # a task waiting for its token stops waiting
            env.event_manager.duoflow_stopped = True
            for endpoint in list(env.callback_pool_manager._pool.values()):
                endpoint.interrupt_all()

    def add_event(self: Any, context: Any, event_type: Any, *args: Any, **kwargs: Any) -> int:
        if getattr(self, "duoflow_stopped", False) and not str(event_type.value).startswith("Execution"):
            return context.last_published_event_id  # what a stopped execution's interrupted states do is not history
        return stock_add_event(self, context, event_type, *args, **kwargs)

    stock_stop = _patcher.replace(_STOP_EXECUTION, stop)
    stock_add_event = _patcher.replace(_ADD_EVENT, add_event)
    _patcher.replace(_REDRIVE_EXECUTION, redrive_execution)
    stock_describe = _patcher.replace(_DESCRIBE_EXECUTION_RESPONSE, describe_execution)


# What an execution's snapshot answers for DescribeStateMachineForExecution (the rest is moto's answer): the
# definition it runs and what UpdateStateMachine can change besides (moto's attributes have the members' names).
SNAPSHOT_MEMBERS = (
    "definition",
    "roleArn",
    "loggingConfiguration",
    "tracingConfiguration",
    "encryptionConfiguration",
)


def _install_machine_for_execution() -> None:
    def describe_state_machine_for_execution(self: Any) -> Any:
        answer = stock(self)  # moto's refusals for an unknown execution; the state machine as it is now
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        snapshot = getattr(execution, "state_machine", None)
        if snapshot is not None:
            for member in SNAPSHOT_MEMBERS:
                answer.result[member] = getattr(snapshot, member)
        return answer

    stock = _patcher.replace(_MACHINE_FOR_EXECUTION, describe_state_machine_for_execution)


def _install_thread_pruning() -> None:
    from moto.stepfunctions.parser.utils import TMP_THREADS

    start = _WORKER_START.owner().start
    lock = threading.Lock()
    prune_at = MIN_THREADS_KEPT

    def start_keeping_running_threads(self: Any) -> None:
        nonlocal prune_at
        with lock:
            if len(TMP_THREADS) >= prune_at:
                # In place: every moto module holds this one list. A thread appended by another while this runs
                # may be dropped from it, which nothing notices: the list keeps no thread alive.
                TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]
                prune_at = max(MIN_THREADS_KEPT, 2 * len(TMP_THREADS))
        start(self)

    _patcher.replace(_WORKER_START, start_keeping_running_threads)


# --- speed-ups --------------------------------------------------------------------------------------------------


def _defer_moto_batch() -> None:
    import importlib.util
    import sys

    if "moto.batch" in sys.modules:
        return
    spec = importlib.util.find_spec("moto.batch")
    package = importlib.util.module_from_spec(spec)  # its __path__ is set: its submodules import as before

    lock = threading.Lock()

    def load_in_full(name: str) -> Any:
        with lock:  # the first reader runs __init__; one reading meanwhile waits for it
            if vars(package).get("__getattr__") is load_in_full:
                del package.__getattr__
                spec.loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = load_in_full  # a module's __getattr__ answers only what the module does not have
    sys.modules["moto.batch"] = package
    import moto

    moto.batch = package  # as the import system sets a loaded package on its parent


def _install_parsed_once(programs: ParsedPrograms) -> None:
    def parsed_once(self: Any) -> Any:
        return programs.program(self._evaluation_details.state_machine_details.definition)

    _patcher.replace(_ENTRYPOINT, parsed_once)


def parse_ahead(definition: str) -> None:
    """Parse ``definition`` into the process's programs now, before any runtime starts: a process that forks servers
    does, so that each of them finds it parsed (tests/reliability/forkserver.py). A definition that does not parse
    is left for its deployment to refuse."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException

    try:
        _PARSED_PROGRAMS.program(definition)
    except ASLParserException:
        pass


def _install_client_cache() -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client

    make_client = boto_client.boto_client_for
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def cached_client(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto's boto_client_for ignores state_credentials (every client signs with the same fake keys), so a
        # Task with Credentials gets the same client it would have built (tests/runtime/test_speedups.py).
        with lock:
            if (region, service) not in clients:
                clients[(region, service)] = make_client(region=region, service=service)
            return clients[(region, service)]

    for target in _CLIENT_USERS:
        if getattr(target.owner(), target.name, None) is make_client:
            _patcher.replace(target, cached_client)
    _patcher.replace(_CLIENT_FACTORY, cached_client)


def _install_execution_index() -> None:
    import weakref

    from moto.stepfunctions.exceptions import ExecutionDoesNotExist

    # id(state machine) -> (the machine, weakly; how many of its executions are indexed; ARN -> position in its
    # list). Positions, not executions, and a weak reference: the index keeps nothing alive, and the entry
    # goes when its machine does (moto deep-copies machines, so nothing is stored on them).
    indexes: dict[int, tuple[Any, int, dict[str, int]]] = {}
    lock = threading.Lock()

    def forget(key: int) -> Any:
        return lambda _gone: indexes.pop(key, None)

    def describe_execution(self: Any, execution_arn: str) -> Any:
        self._validate_execution_arn(execution_arn)
        state_machine = self._get_state_machine_for_execution(execution_arn)
        executions = state_machine.executions
        with lock:
            machine, read, positions = indexes.get(id(state_machine), (None, 0, {}))
            if machine is None or machine() is not state_machine:
                machine, read, positions = weakref.ref(state_machine, forget(id(state_machine))), 0, {}
            for position in range(read, len(executions)):
                positions.setdefault(executions[position].execution_arn, position)  # the first, as moto's scan
            indexes[id(state_machine)] = (machine, len(executions), positions)
        position = positions.get(execution_arn)
        if position is None:
            raise ExecutionDoesNotExist("Execution Does Not Exist: '" + execution_arn + "'")
        return executions[position]

    _patcher.replace(_DESCRIBE_EXECUTION, describe_execution)


def _install_jsonpath_cache() -> None:
    lock = threading.Lock()
    for target in _JSONPATH_PARSERS:
        parse = target.owner().parse
        parsed: dict[str, Any] = {}

        def parsed_once(path: str, _parse: Any = parse, _parsed: dict[str, Any] = parsed) -> Any:
            with lock:
                if path not in _parsed:
                    _parsed[path] = _parse(path)
                return _parsed[path]

        parsed_once.stock = parse  # type: ignore[attr-defined]
        _patcher.replace(target, parsed_once)


def _install_program_in_this_thread() -> None:
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

    stock = _PROGRAM_EVAL.owner().eval

    def eval_here_unless_timed(self: Any, env: Any) -> None:
        if self.timeout_seconds is not None:  # the thread is the timer: moto's own way
            stock(self, env)
            return
        env.next_state_name = self.start_at.start_at_name
        try:
            EvalComponent.eval(self, env)  # what moto's thread runs (its target is ``super().eval``)
        except Exception as error:  # an uncaught error of moto's thread: reported, and the caller goes on
            threading.excepthook(
                threading.ExceptHookArgs((type(error), error, error.__traceback__, threading.current_thread()))
            )

    eval_here_unless_timed.stock = stock  # type: ignore[attr-defined]
    _patcher.replace(_PROGRAM_EVAL, eval_here_unless_timed)
