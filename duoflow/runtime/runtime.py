"""The embedded local runtime: Step Functions, Lambda (plain and durable), DynamoDB, SNS, S3 in one process.

It knows nothing about loans: give it a function catalog, then create resources and state machines with
plain boto3 calls (``runtime.client("stepfunctions").create_state_machine(...)``), exactly as against AWS.

    with LocalRuntime(catalog, time_control=TimeControl.scaled(0.001)) as runtime:
        sfn = runtime.client("stepfunctions")
        ...

Parts: moto 5.2.5 (its vendored ASL interpreter, DynamoDB, SNS, S3) with every Lambda invoke dispatched to
the catalog's handlers (:mod:`lambda_host`), the durable testing SDK's executor with a SQLite store
(:mod:`durable_host`), the durable APIs served on the lambda endpoint (:mod:`durable_api`), and one time
switch (:mod:`time_control`). Every hook into a library's internals is in :mod:`duoflow.runtime.patches`,
installed by ``start()`` and removed by ``stop()``.

State: everything that must outlive the process is journaled in ``state_dir`` (:mod:`journal`): Step Functions
executions (:mod:`keep_step_functions`), DynamoDB items and S3 objects (:mod:`keep_moto_data`), durable
executions (the SDK's store, plus their timers), asynchronous invokes. ``resume()``, called once everything is
deployed, brings it all back; duoflow/runtime/README.md says what a restart guarantees.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from catalog.specs import FunctionSpec, ResourceRef
from duoflow.runtime import bedrock_local, function_code, patches, pins
from duoflow.runtime.aws_endpoint import AwsEndpoint
from duoflow.runtime.durable_api import DurableApi
from duoflow.runtime.durable_host import DurableHost
from duoflow.runtime.dynamodb_streams import DynamoDBStreams
from duoflow.runtime.function_environment import FunctionEnvironment, check_not_reserved
from duoflow.runtime.in_flight import Endings
from duoflow.runtime.journal import Journal
from duoflow.runtime.keep_moto_data import MotoDataKeeper
from duoflow.runtime.keep_step_functions import StepFunctionsKeeper
from duoflow.runtime.lambda_host import LambdaHost, function_name_of
from duoflow.runtime.s3_events import S3Events
from duoflow.runtime.saved_state import DURABLE_STORE_FILE
from duoflow.runtime.sfn_mocks import MockConfig
from duoflow.runtime.time_control import TimeControl

MOTO_CONFIG = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
    "core": {"passthrough": {"urls": [r"http://127\.0\.0\.1.*", r"http://localhost.*"], "services": []}},
}

# The runtime keeps every execution, item and history in memory: with the interpreter's default thresholds
# (700, 10, 10) a burst of applications spends a sixth of its time in the collector re-examining objects that
# live as long as the runtime. Collections run ~15x less often while it runs; ``settle()`` also moves what
# exists after deploying (modules, botocore models, handlers) out of the collector's sight.
GC_THRESHOLDS = (10_000, 50, 100)


class RuntimeAlreadyRunning(RuntimeError):
    pass


class LocalRuntime:
    """One process, one runtime at a time (moto's interception is process-wide)."""

    _current: LocalRuntime | None = None

    def __init__(
        self,
        catalog: Iterable[FunctionSpec],
        state_dir: Path | None = None,
        time_control: TimeControl | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        mock_config: MockConfig | str | os.PathLike[str] | None = None,
    ) -> None:
        self.catalog = list(catalog)
        self._code_paths = {spec.name: tuple(spec.code_paths) for spec in self.catalog}
        # Step Functions Local's test cases (sfn_mocks.py): StartExecution on ``arn#TestCase`` runs the execution
        # with that test case's mocked responses. A path is read (and checked) here; assign another MockConfig
        # (or None) at any time: executions already started keep the test case they started with.
        self.mock_config: MockConfig | None = (
            mock_config if mock_config is None or isinstance(mock_config, MockConfig) else MockConfig.load(mock_config)
        )
        self.time_control = time_control or TimeControl.real()
        self.region = region
        self.account_id = account_id
        self._own_state_dir = state_dir is None
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="duoflow-"))
        self.journal: Journal | None = None
        self.resumed: dict[str, int] | None = None
        self._step_functions_keeper: StepFunctionsKeeper | None = None
        self._data_keeper: MotoDataKeeper | None = None
        self._patches: patches.Installed | None = None
        self.s3_events: S3Events | None = None
        self.dynamodb_streams: DynamoDBStreams | None = None
        self._saved_gc_thresholds = gc.get_threshold()
        self.resources: dict[tuple[str, str], dict[str, str]] = {}
        self._saved_environ: dict[str, str | None] = {}
        self.environments: dict[str, FunctionEnvironment] = {}  # each function's own variables (deploy_functions)
        self._mock: Any = None
        self.durable: DurableHost | None = None
        self.lambdas: LambdaHost | None = None
        self._durable_api: DurableApi | None = None
        self._saved_log_levels: dict[str, int] = {}
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self.aws_endpoint: AwsEndpoint | None = None
        # a run's watcher (duoflow/demo.py RunWatch) is told when one of its executions ends
        self.endings = Endings()

    # --- lifecycle -----------------------------------------------------------------------------------------

    def __enter__(self) -> LocalRuntime:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @classmethod
    def running(cls) -> LocalRuntime | None:
        """The runtime running in this process, if any."""
        return cls._current

    def start(self) -> LocalRuntime:
        if LocalRuntime._current is not None:
            raise RuntimeAlreadyRunning("a LocalRuntime is already running in this process; stop it first")
        pins.check_versions()
        LocalRuntime._current = self  # from here on, stop() undoes whatever start() got done (a signal may cut it)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from moto import mock_aws

        self._set_environ(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
                "MOTO_ACCOUNT_ID": self.account_id,
                # Lambda code that waits on purpose (a simulated external service) honours the same scale.
                "DUOFLOW_TIME_SCALE": repr(self.time_control.scale),
                # No X-Ray daemon here: Powertools Tracer stays off (services/common/tracing.py), as under `sam local`.
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        self._saved_gc_thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        # every patch to a library's internals, in one place (duoflow/runtime/patches/); stop() removes them all
        self._patches = patches.install(
            self.time_control,
            invoke=self._invoke_from_moto,
            durable_api=lambda: self._durable_api,
            speedups=patches.speedups_enabled(),
            mock_config=lambda: self.mock_config,
        )
        self._saved_log_levels = _quiet_library_loggers()
        function_code.install()  # a function's own code folders first while it runs (catalog code_paths)
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)  # names, SIN digits and incomes are in it
        self.journal = Journal(self.state_dir)
        self._step_functions_keeper = StepFunctionsKeeper(self.journal, self.account_id, self.region, self.endings)
        self._step_functions_keeper.install()
        self._data_keeper = MotoDataKeeper(self.journal, self.account_id, self.region)
        self._data_keeper.install()
        self.durable = DurableHost(
            self.state_dir / DURABLE_STORE_FILE,
            self.time_control,
            self.region,
            self.account_id,
            journal=self.journal,
            endings=self.endings,
        )
        self._durable_api = DurableApi(self.durable.executor)
        # the features built on hooks, over the patches: each is removed before what it wraps
        self.s3_events = S3Events(self._invoke_event, self.account_id, self.region).install()
        self.dynamodb_streams = DynamoDBStreams(self._queue_stream_records, self.region).install()
        self._build_request_routers()

    # moto routes a REST service's requests by URL with a router it builds (werkzeug rules compiled with
    # ``ast``) on the service's first request. CPython 3.11's AST constructor is not thread-safe ("AST
    # constructor recursion depth mismatch"), so routers built by concurrent first requests can fail: build the
    # routers of the REST services that go through it here, one at a time (moto routes JSON and query services
    # by header and S3 by its own dispatcher, with no such router).
    WARM_UP_CALLS = (("lambda", "list_functions"),)

    def _build_request_routers(self) -> None:
        for service, operation in self.WARM_UP_CALLS:
            getattr(self.client(service), operation)()

    def serve_aws(self, sock: socket.socket | None = None, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve this runtime's AWS APIs over HTTP (duoflow/runtime/aws_endpoint.py) on ``sock`` (a listening
        socket; without one, bound to ``host``:``port``, 0: any free port) until ``stop()``; returns the endpoint
        URL (``--endpoint-url``, ``AWS_ENDPOINT_URL``)."""
        if LocalRuntime._current is not self or self.journal is None:
            raise RuntimeError("start the LocalRuntime before serving its AWS APIs")
        if self.aws_endpoint is not None:
            raise RuntimeError(f"this runtime already serves its AWS APIs at {self.aws_endpoint.url}")
        if sock is None:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.create_server((host, port), family=family, backlog=128)
        self.aws_endpoint = AwsEndpoint(sock, _answer_as_moto, self.journal.barrier).start()
        return self.aws_endpoint.url

    def serve_converse(self, answerer: bedrock_local.Answerer | None) -> None:
        """Answer bedrock-runtime Converse with ``answerer`` (model id, body → status, response); None: refuse it."""
        bedrock_local.answer_with(answerer)

    def deploy_functions(self) -> None:
        """Load every handler of the catalog, each in its own environment (function_environment.py). The
        environment is resolved against the resources registered so far; a value naming a resource created later
        (a state machine) resolves at ``refresh_environment()``."""
        self.environments = {
            name: FunctionEnvironment(name, values, code_paths=self._code_paths[name])
            for name, values in self._catalog_environments(allow_missing=True).items()
        }
        self.lambdas = LambdaHost(
            self.catalog,
            self.durable,
            self.time_control,
            self.region,
            self.account_id,
            journal=self.journal,
            environments=self.environments,
        )

    def refresh_environment(self) -> None:
        """Resolve the catalog's environment again, now that every resource exists."""
        for name, values in self._catalog_environments().items():
            self.environments[name].update(values)

    def environment_of(self, function_name: str) -> FunctionEnvironment:
        """The variables ``function_name`` (name, name:alias or ARN) sees over the process environment while it
        runs; ``environment_of(name).overridden(KEY="value")`` changes them for a while."""
        try:
            return self.environments[function_name_of(function_name)]
        except KeyError:
            raise KeyError(f"no function {function_name!r} is deployed on the runtime") from None

    def resume(self) -> dict[str, int]:
        """Bring back what the state directory holds, once every resource, function and state machine is deployed:
        DynamoDB items and S3 objects, then Step Functions executions (finished ones as they ended, running ones
        re-entered where they were), durable executions (replayed, timers re-armed), asynchronous invokes not run.
        An empty state directory resumes nothing."""
        items = self._data_keeper.restore()
        step_functions = self._step_functions_keeper.restore()
        self.resumed = {
            "stored items and objects": items,
            "finished Step Functions executions": step_functions["finished"],
            "running Step Functions executions": step_functions["resumed"],
            "running durable executions": self.durable.resume(),
            "pending asynchronous invokes": self.lambdas.resume_events() if self.lambdas else 0,
        }
        return self.resumed

    # A graceful stop waits this long (real seconds) for the handlers running at that moment to finish.
    DRAIN_SECONDS = 3.0

    def stop(self) -> None:
        """Stop the runtime. Handlers running now get ``DRAIN_SECONDS`` to finish (or reach their next checkpoint);
        what was running stays running in the state directory and resumes on the next start."""
        if LocalRuntime._current is not self:
            return
        if self.aws_endpoint is not None:
            self.aws_endpoint.stop()  # no new requests from other processes; those being answered finish first
            self.aws_endpoint = None
        deadline = time.monotonic() + self.DRAIN_SECONDS
        if self.lambdas is not None:
            self.lambdas.deliver_stream_records_now()
        for host in (self.lambdas, self.durable):
            if host is not None:
                host.in_flight.wait_idle(deadline)
        if self._step_functions_keeper:
            self._step_functions_keeper.close()
        if self.s3_events:
            self.s3_events.uninstall()  # it wraps the data keeper's S3 hooks: removed first
        if self.dynamodb_streams:
            self.dynamodb_streams.uninstall()  # and this its DynamoDB request hook
        if self._data_keeper:
            self._data_keeper.uninstall()
        if self.lambdas:
            self.lambdas.close()
        if self.durable:
            self.durable.close()
        if self.journal:
            self.journal.close()
        function_code.uninstall()
        if self._patches is not None:
            self._patches.uninstall()  # the last installed first; moto's Lambda invoke only now the hosts are closed
            self._patches = None
        bedrock_local.answer_with(None)
        if self._mock is not None:
            self._mock.stop()
        for name, level in self._saved_log_levels.items():
            logging.getLogger(name).setLevel(level)
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        for key, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environ.clear()
        self._clients.clear()
        gc.set_threshold(*self._saved_gc_thresholds)
        gc.unfreeze()
        LocalRuntime._current = None

    def settle(self) -> None:
        """Call once everything is deployed: what exists now lives as long as the runtime, so the collector
        stops looking at it (``gc.freeze``; ``stop()`` undoes it)."""
        gc.collect()
        gc.freeze()

    # --- clients and names ---------------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for this runtime; one per service (clients are thread-safe, and building one costs
        milliseconds of CPU)."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(
                    service, region_name=self.region, config=Config(retries={"max_attempts": 0, "mode": "standard"})
                )
            return self._clients[service]

    def execution_status(self, execution_arn: str) -> str | None:
        """A Step Functions execution's status (None: no such execution, or not started yet), read in-process
        (describe_execution without the HTTP round trip and its serialization: what a watcher polling many
        executions needs)."""
        from moto.stepfunctions.exceptions import ExecutionDoesNotExist
        from moto.stepfunctions.responses import get_backend

        try:
            return get_backend(self.account_id, self.region).describe_execution(execution_arn).status
        except ExecutionDoesNotExist:
            return None

    def advance_timeouts(self, modelled_seconds: float) -> int:
        """Bring every timeout now pending forward by ``modelled_seconds`` (a test skips a 30-minute timeout instead
        of waiting for it): Step Functions task timeouts, and durable execution, callback and heartbeat timeouts.
        Returns how many are now due; they fire at once. Waits and retry delays keep their time
        (duoflow/runtime/time_control.py: ``TaskTimeouts``, ``ScaledScheduler``)."""
        from duoflow.runtime.patches import moto_stepfunctions

        if modelled_seconds < 0:
            raise ValueError(f"time only moves forward, not by {modelled_seconds} s")
        durable_due = self.durable.advance_timeouts(modelled_seconds) if self.durable is not None else 0
        return moto_stepfunctions.advance_task_timeouts(modelled_seconds) + durable_due

    def pending_timeouts(self) -> int:
        """How many timeouts ``advance_timeouts`` would move: one per Step Functions task running now (each waits on
        its timeout, moto's default of 99,999,999 seconds when the state sets no ``TimeoutSeconds``), and each
        pending durable execution, callback and heartbeat timeout."""
        from duoflow.runtime.patches import moto_stepfunctions

        durable_pending = self.durable.pending_timeouts() if self.durable is not None else 0
        return moto_stepfunctions.pending_task_timeouts() + durable_pending

    def durable_statuses(self, function_name: str, execution_name: str) -> list[str]:
        """The statuses of a durable function's (name, name:alias or ARN) executions named ``execution_name``,
        read in-process (what list_durable_executions_by_function answers, without loading every execution)."""
        return self.durable.statuses(function_name_of(function_name), execution_name)

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def register_resource(self, kind: str, logical_name: str, **attributes: str) -> None:
        self.resources[(kind, logical_name)] = dict(attributes)

    # --- internals -----------------------------------------------------------------------------------------

    def _catalog_environments(self, allow_missing: bool = False) -> dict[str, dict[str, str]]:
        """Each function's environment, resolved (``allow_missing``: leaving out values that name a resource not
        registered yet). Two functions may give one variable different values; none may set a reserved one."""
        environments: dict[str, dict[str, str]] = {}
        for spec in self.catalog:
            check_not_reserved(spec.name, spec.environment)
            environments[spec.name] = {
                key: self.resolve(value)
                for key, value in spec.environment.items()
                if not (allow_missing and isinstance(value, ResourceRef) and not self.has_resource(value))
            }
        return environments

    def has_resource(self, ref: ResourceRef) -> bool:
        return ref.kind == "function" or (ref.kind, ref.logical_name) in self.resources

    def resolve(self, value: str | ResourceRef) -> str:
        """A catalog environment value or ASL placeholder → the local name or ARN of what it names."""
        if isinstance(value, str):
            return value
        if value.kind == "function":
            return value.logical_name if value.attribute == "name" else self.function_arn(value.logical_name)
        try:
            return self.resources[(value.kind, value.logical_name)][value.attribute]
        except KeyError:
            raise KeyError(
                f"no {value.kind} {value.logical_name!r} ({value.attribute}) was created on the runtime"
            ) from None

    def _set_environ(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self._saved_environ.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _invoke_from_moto(
        self, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
    ) -> bytes | None:
        """Every Lambda invoke moto receives (patches/moto_lambda.py) → the catalog's handler."""
        if self.lambdas is None:
            raise RuntimeError("deploy_functions() has not been called on the LocalRuntime")
        return self.lambdas.invoke_from_moto(function_name, qualifier, body, headers, response_headers)

    def _queue_stream_records(self, function_name: str, records: list[dict[str, Any]]) -> None:
        """A DynamoDB stream's records for a function: batched as its event source mapping does."""
        self.lambdas.queue_stream_records(function_name, records)

    def _invoke_event(self, function_name: str, payload: bytes) -> None:
        """An asynchronous invoke from inside the runtime (an event source: S3 → EventBridge; a DynamoDB stream's
        records go through ``_queue_stream_records``)."""
        self.lambdas.invoke_from_moto(function_name, None, payload, {"X-Amz-Invocation-Type": "Event"}, {})


def _answer_as_moto(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, Any] | None:
    """Answer an HTTP request to the AWS endpoint exactly as a boto3 call made in this process is answered: by
    moto's interception (the hook botocore's ``before-send`` event calls), with the runtime's patches in it."""
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.compat import HTTPHeaders
    from moto.core.models import botocore_stubber

    prepared = HTTPHeaders()
    for name, value in headers.items():
        prepared[name] = value
    request = AWSPreparedRequest(method=method, url=url, headers=prepared, body=body, stream_output=False)
    return botocore_stubber.process_request(request)


def _quiet_library_loggers() -> dict[str, int]:
    """moto's interpreter logs every caught ASL error with its whole parse tree, and the durable testing SDK
    logs a stack trace for each execution still running at shutdown; both drown the real output. Set
    DUOFLOW_DEBUG=1 to see them. Returns the levels to restore."""
    if os.environ.get("DUOFLOW_DEBUG"):
        return {}
    saved = {}
    for name in (
        "moto.stepfunctions.parser",
        "aws_durable_execution_sdk_python_testing",
        "aws_durable_execution_sdk_python",
    ):
        saved[name] = logging.getLogger(name).level
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return saved
