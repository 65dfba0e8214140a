"""The console server (ASGI, Starlette): the HTTP API through the same Lambda as in AWS, the console's own
read-only JSON endpoints, and the static UI.

    /api/...                     → API Gateway stand-in → the duoflow-api Lambda (gateway.py)
    /console/api/about           scenarios, variants, roles, whether training is deployed
    /console/api/cases           the demo cases (scenarios/*/*.json)
    /console/api/executions      every execution, newest first (?scenario=&variant=&status=&text=)      [role]
    /console/api/execution?arn=  one execution: status, graph (SVG from the ASL that ran), states, durable ops [role]
    /console/api/asl/{name}      the ASL a state machine runs (placeholders filled)
    /console/api/durable?arn=    one durable execution's operations                                     [role]
    /console/api/events?arn=     one execution's events, its durable children's grouped under their Task (events.py) [role]
    /console/api/audit/{id}      an application's or request's audit export, a file (?format=md|csv|json) [role]
    /console/api/logs/{id}       the functions' log lines about it, oldest first (`duoflow logs ID`)     [role]
    /console/api/training/requests        POST: upload a training request document (400 names each field)
    /console/api/training/requests/{id}   a training request's status, progress log and result file  [role]
    /console/api/recovery/...    POST {"arn"}: redrive, start-again, rerun, stop an execution (recovery.py)   [role]
    /console/api/bench           docs/bench.json (?scenario=training: docs/bench-training.json); /console/bench.svg the chart
    /api-docs                    the API's reference page: Swagger UI on /api/openapi.json (api_docs.py)
    /                            the UI (static/)

[role]: execution data needs a signed-in role (``Authorization: Bearer <token>``, the tokens ``duoflow serve``
prints): any role may read it; the applicant's SIN digits and income only the managers role. Task tokens and
callback ids are sent to nobody (scrub.py). The other endpoints hold nothing personal and stay open.

Every request passes the guards first (guards.py: Host, same-origin JSON for changes, security headers); an
unexpected exception is logged with a request id and answered 500 with it (errors.py).

Nothing acknowledged is lost: a 2xx answer to a request that changes state (POST, PUT, PATCH, DELETE) is sent
only once the runtime's journal has forced what the request wrote to the disk (``JournalBarrier``).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.validation import InputInvalid, body_text, id_error, read_json_body, unknown_fields
from duoflow.audit_export import FORMATS as AUDIT_FORMATS
from duoflow.audit_export import MEDIA_TYPES as AUDIT_MEDIA_TYPES
from duoflow.audit_export import NotFound as AuditNotFound
from duoflow.audit_export import audit_export, render
from duoflow.bench.report import report_path
from duoflow.console import api_docs
from duoflow.console.errors import UnexpectedErrors
from duoflow.console.executions import STATUS_GROUPS, Executions, NotFound, top_level_durable_functions
from duoflow.console.gateway import ApiGateway
from duoflow.console.guards import CHANGING_METHODS, HostGuard, SameOriginJson, SecurityHeaders
from duoflow.console.recovery import Recovery
from duoflow.console.scrub import scrub
from duoflow.console.tokens import ROLE_USERS, InvalidToken, TokenSigner
from duoflow.diagrams.sources import all_state_machines
from duoflow.function_logs import function_logs_file, lines_of, readable
from duoflow.runtime import LocalRuntime, ResourceRef
from duoflow.runtime.saved_state import SavedState
from duoflow.scenarios import SCENARIOS_DIR
from services.api.auth import groups_of
from services.api.routes import MANAGER_ROLE
from services.common.progress import STARTING

STATIC_DIR = Path(__file__).resolve().parent / "static"
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
TRAINING_BUCKET, TRAINING_RESULTS, TRAINING_PREFIX = "training-requests", "training-results", "requests/"
TRAINING_TABLE = "training-progress"

SIGN_IN = (
    "open the sign-in link `duoflow serve` printed for your role, or paste that role's token under "
    "\u201cToken\u2026\u201d in the console"
)


class JournalBarrier:
    """The one place every answer goes through: a 2xx answer to a request that changes state waits for
    ``runtime.journal.barrier()`` (what the request wrote is on the disk) before its first byte is sent, so a
    crash a moment after the client saw it cannot undo it. If the barrier fails, the client gets a 500 instead.
    A runtime without a journal (none is kept) sends at once."""

    def __init__(self, app: ASGIApp, runtime: LocalRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGING_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_once_durable(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                journal = getattr(self.runtime, "journal", None)
                if journal is not None:
                    await run_in_threadpool(journal.barrier)
            await send(message)

        await self.app(scope, receive, send_once_durable)


LOG_LINES_SHOWN = 500  # the latest lines of one id; `duoflow logs ID` prints them all


def _problem(status: int, message: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    return JSONResponse({"message": message, **({"errors": errors} if errors else {})}, status_code=status)


def _invalid(field: str, rule: str) -> JSONResponse:
    """400 naming the one field of the request that breaks a rule."""
    return _problem(400, "invalid request", [{"field": field, "rule": rule}])


def _one_of(allowed: Collection[str]) -> str:
    return f"is one of {', '.join(allowed)}"


@dataclass(frozen=True)
class Viewer:
    """Who reads execution data: the roles of a verified token."""

    roles: frozenset[str]

    @property
    def sees_personal(self) -> bool:
        return MANAGER_ROLE in self.roles


@dataclass
class Shown:
    """What a role-protected endpoint answers, before the scrubber: ``secrets`` are task tokens and callback ids
    read from the execution's history (to be removed wherever they appear); ``public`` is added unscrubbed (the
    ASL that ran, which /console/api/asl serves to anyone)."""

    data: dict[str, Any]
    secrets: set[str] = field(default_factory=set)
    public: dict[str, Any] = field(default_factory=dict)


class Console:
    def __init__(
        self, runtime: LocalRuntime, signer: TokenSigner, docs_dir: Path = DOCS_DIR, page_size: int | None = None
    ) -> None:
        self.runtime = runtime
        self.signer = signer
        self.docs_dir = docs_dir
        self._local = threading.local()
        self.gateway = ApiGateway(lambda: self.client("lambda"), signer)
        self.executions = Executions(
            self.client, lambda name: runtime.resolve(ResourceRef("state_machine", name, "arn")), page_size=page_size
        )

    def client(self, service: str) -> Any:
        clients = self._local.__dict__.setdefault("clients", {})
        if service not in clients:
            clients[service] = self.runtime.client(service)
        return clients[service]

    @property
    def training_deployed(self) -> bool:
        return ("bucket", TRAINING_BUCKET) in self.runtime.resources

    # --- the API, through the Lambda ------------------------------------------------------------------------

    async def api(self, request: Request) -> Response:
        try:
            body = body_text(await request.body())  # the size and encoding rules, before the Lambda is invoked
        except InputInvalid as invalid:
            return _problem(invalid.status, "invalid request", invalid.as_json())
        path = "/" + request.path_params["path"]
        response = await run_in_threadpool(
            self.gateway.handle,
            request.method,
            path,
            dict(request.query_params),
            body,
            request.headers.get("authorization"),
            dict(request.headers),
        )
        return Response(response.body, status_code=response.status, headers=response.headers)

    # --- console endpoints -----------------------------------------------------------------------------------

    def about(self, request: Request) -> JSONResponse:
        machines = all_state_machines()
        scenarios: dict[str, list[str]] = {}
        for machine in machines:
            scenarios.setdefault(machine.scenario, []).append(machine.variant)
        for function in top_level_durable_functions():
            scenarios.setdefault(function.split("-")[0], []).append("durable")
        return JSONResponse(
            {
                "scenarios": {name: sorted(set(variants)) for name, variants in scenarios.items()},
                "roles": [{"role": role, "username": user, "name": name} for role, (user, name) in ROLE_USERS.items()],
                "training": self.training_deployed,
                "time_scale": self.runtime.time_control.scale,
                "timeout_scale": self.runtime.time_control.timeouts,
            }
        )

    def cases(self, request: Request) -> JSONResponse:
        cases: dict[str, list[dict[str, Any]]] = {}
        for scenario in ("loan", "training"):
            for path in sorted((SCENARIOS_DIR / scenario).glob("*.json")):
                data = json.loads(path.read_text())
                if "case" in data and ("application" in data or "request" in data):
                    cases.setdefault(scenario, []).append(data)
        return JSONResponse(cases)

    # --- execution data: a signed-in role, and every answer scrubbed --------------------------------------------

    def viewer(self, request: Request) -> Viewer | JSONResponse:
        """The roles of the request's bearer token, or the 401/403 that says how to get one."""
        what = request.url.path
        authorization = request.headers.get("authorization")
        if not authorization:
            return _problem(401, f"sign in: {what} shows execution data and needs a role's token; {SIGN_IN}")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _problem(401, "the Authorization header must be 'Bearer <token>'")
        try:
            claims = self.signer.verify(token.strip())
        except InvalidToken as error:
            return _problem(401, f"unauthorized: {error}; {SIGN_IN}")
        roles = groups_of(claims) & set(ROLE_USERS)
        if not roles:
            return _problem(403, f"{what} needs one of the roles {', '.join(ROLE_USERS)}; your token has no role")
        return Viewer(roles)

    def signed_in(self, read: Callable[[Request], Shown | JSONResponse]) -> Callable[[Request], JSONResponse]:
        """The endpoint that answers ``read`` to a signed-in role only, scrubbed for that role."""

        def endpoint(request: Request) -> JSONResponse:
            viewer = self.viewer(request)
            if isinstance(viewer, JSONResponse):
                return viewer
            shown = read(request)
            if isinstance(shown, JSONResponse):
                return shown
            data = scrub(shown.data, personal=viewer.sees_personal, secrets=shown.secrets)
            return JSONResponse({**data, **shown.public})

        return endpoint

    def list_executions(self, request: Request) -> Shown | JSONResponse:
        """The executions the filters keep, newest first, and how many of them each status group holds (what the
        status filter's buttons say)."""
        query = {key: request.query_params.get(key) or None for key in ("scenario", "variant", "status", "text")}
        if query["status"] not in (None, *STATUS_GROUPS):
            return _invalid("status", _one_of(STATUS_GROUPS))
        listed = self.executions.list(query["scenario"], query["variant"], query["text"])
        counts = {group: sum(1 for item in listed if item["status_group"] == group) for group in STATUS_GROUPS}
        shown = [item for item in listed if not query["status"] or item["status_group"] == query["status"]]
        return Shown({"executions": shown, "counts": {"all": len(listed), **counts}})

    def execution(self, request: Request) -> Shown | JSONResponse:
        arn = request.query_params.get("arn", "").strip()
        if not arn:
            return _invalid("arn", "is required")
        secrets: set[str] = set()
        try:
            detail = self.executions.detail(arn, secrets)
        except NotFound as error:
            return _problem(404, str(error))
        public = {"definition": detail.pop("definition")} if "definition" in detail else {}
        return Shown(detail, secrets, public)

    def durable(self, request: Request) -> Shown | JSONResponse:
        arn = request.query_params.get("arn", "").strip()
        if not arn:
            return _invalid("arn", "is required")
        secrets: set[str] = set()
        try:
            return Shown(self.executions.durable_execution(arn, secrets), secrets)
        except NotFound as error:
            return _problem(404, str(error))

    def events(self, request: Request) -> Shown | JSONResponse:
        """The Events table of one execution (Step Functions or durable): its history's events as rows."""
        arn = request.query_params.get("arn", "").strip()
        if not arn:
            return _invalid("arn", "is required")
        if not (arn.startswith("arn:aws:states:") and ":execution:" in arn) and "/durable-execution/" not in arn:
            return _invalid("arn", "is a Step Functions execution ARN or a durable execution ARN")
        secrets: set[str] = set()
        try:
            return Shown(self.executions.events(arn, secrets), secrets)
        except NotFound as error:
            return _problem(404, str(error))

    def logs(self, request: Request) -> Shown:
        """The functions' log lines about one application or training request (`duoflow logs ID`), oldest first: what
        `duoflow serve` keeps in its state directory (none when the runtime keeps no log file)."""
        log_file = function_logs_file(self.runtime.state_dir)
        if not log_file.exists():
            return Shown({"lines": [], "kept": False})
        found = lines_of(log_file, request.path_params["item_id"])
        lines = [
            {"at": at, "level": level, "who": who, "text": text}
            for at, level, who, text in readable(found.lines[-LOG_LINES_SHOWN:])
        ]
        return Shown({"lines": lines, "kept": True, "more": max(0, len(found.lines) - LOG_LINES_SHOWN)})

    def audit(self, request: Request) -> Response:
        """The audit export of an application or training request (`duoflow audit ID`), to a signed-in role, as a
        file to save: ?format=md (the default), csv or json."""
        viewer = self.viewer(request)
        if isinstance(viewer, JSONResponse):
            return viewer
        item_id = request.path_params["item_id"]
        output_format = request.query_params.get("format", "md")
        if output_format not in AUDIT_FORMATS:
            return _invalid("format", _one_of(AUDIT_FORMATS))
        try:
            export = audit_export(SavedState(self.runtime.state_dir), item_id)
        except AuditNotFound as error:
            return _problem(404, str(error))
        filename = "audit-" + re.sub(r"[^A-Za-z0-9._-]", "_", item_id) + f".{output_format}"
        return Response(
            render(export, output_format, str(self.runtime.state_dir)),
            media_type=AUDIT_MEDIA_TYPES[output_format],
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )

    def asl(self, request: Request) -> JSONResponse:
        name = request.path_params["name"]
        machine = next((m for m in all_state_machines() if m.name == name), None)
        if machine is None:
            return _problem(404, f"no state machine named {name}")
        sfn = self.client("stepfunctions")
        described = sfn.describe_state_machine(
            stateMachineArn=self.runtime.resolve(ResourceRef("state_machine", name, "arn"))
        )
        return JSONResponse(
            {
                "name": name,
                "file": f"statemachines/{machine.asl_file}",
                "definition": json.loads(described["definition"]),
            }
        )

    def _bench_file(self, request: Request, suffix: str) -> Path | JSONResponse:
        """docs/bench.<suffix> (the loan's report) or docs/bench-training.<suffix>, as ?scenario= asks."""
        scenario = request.query_params.get("scenario", "loan")
        scenarios = sorted({machine.scenario for machine in all_state_machines()})
        if scenario not in scenarios:
            return _invalid("scenario", _one_of(scenarios))
        path = report_path(self.docs_dir / "bench.json", scenario).with_suffix(f".{suffix}")
        if not path.exists():
            return _problem(404, f"no {scenario} benchmark yet: run `make bench`")
        return path

    def bench(self, request: Request) -> Response:
        path = self._bench_file(request, "json")
        return path if isinstance(path, JSONResponse) else Response(path.read_text(), media_type="application/json")

    def bench_chart(self, request: Request) -> Response:
        path = self._bench_file(request, "svg")
        return path if isinstance(path, JSONResponse) else FileResponse(path, media_type="image/svg+xml")

    async def upload_training(self, request: Request) -> JSONResponse:
        """Uploads a request document to the requests bucket, as an employee would; the upload starts the
        workflow (S3 → EventBridge → the training-upload function). Checked first, so a bad document gets a
        400 naming each field instead of a rejected workflow, and bound to its request id first, so an id that
        already has a workflow (another variant, another document) gets a 409 naming it instead of an upload
        that would be ignored. The same upload again is answered 200 with the workflow it has."""
        if not self.training_deployed:
            return _problem(404, "the training scenario is not deployed on this runtime")
        from domain.training.validation import RequestInvalid, validate_request
        from services.common.one_workflow import IdAlreadyBound, bind
        from services.common.variants import DEFAULT_VARIANT, variant_error
        from services.training.audit import DynamoTrainingLog
        from services.training.upload import WHAT

        try:
            body = read_json_body(await request.body())
        except InputInvalid as invalid:
            return _problem(invalid.status, "invalid request", invalid.as_json())
        if not isinstance(body, dict):
            return _invalid("body", "must be a JSON object")
        # {"request": <document>, "variant": ..., "request_id": ...}, or the document alone (hybrid, a new id)
        wrapped = "request" in body
        document = body["request"] if wrapped else body
        errors = [
            {"field": error.field, "rule": error.rule}
            for error in (unknown_fields(body, ("request", "variant", "request_id"), "an upload") if wrapped else [])
        ]
        variant = body.get("variant", DEFAULT_VARIANT) if wrapped else DEFAULT_VARIANT
        request_id = body.get("request_id") if wrapped else None
        request_id = f"tr-{uuid.uuid4().hex[:10]}" if request_id is None else request_id
        if error := variant_error(variant):
            errors.append({"field": error.field, "rule": error.rule})
        if error := id_error(request_id, "request_id"):
            errors.append({"field": error.field, "rule": error.rule})
            request_id = "invalid"  # named once, here
        try:
            training_request = validate_request(document, request_id)
        except RequestInvalid as invalid:
            errors += invalid.as_json()
        if errors:
            return _problem(400, "invalid request", errors)
        log = DynamoTrainingLog(self.client("dynamodb"), TRAINING_TABLE)
        checked = training_request.model_dump(mode="json", exclude={"request_id"})
        try:
            bound = await run_in_threadpool(bind, log, WHAT, request_id, variant, checked)
        except IdAlreadyBound as taken:
            return JSONResponse({**taken.as_json(), "request_id": request_id}, status_code=409)
        if bound is not None and bound.execution_arn:
            message = "this request was uploaded before; this is its workflow"
            return JSONResponse({"request_id": request_id, "variant": variant, "message": message}, status_code=200)
        await run_in_threadpool(
            self.client("s3").put_object,
            Bucket=TRAINING_BUCKET,
            Key=f"{TRAINING_PREFIX}{request_id}.json",
            Body=json.dumps(checked).encode(),
            ContentType="application/json",
            Metadata={"variant": variant},
        )
        return JSONResponse({"request_id": request_id, "variant": variant}, status_code=202)

    def training_request(self, request: Request) -> Shown | JSONResponse:
        if not self.training_deployed:
            return _problem(404, "the training scenario is not deployed on this runtime")
        request_id = request.path_params["request_id"]
        from services.training.audit import DynamoTrainingLog

        log = DynamoTrainingLog(self.client("dynamodb"), TRAINING_TABLE)
        status = log.status(request_id)
        result = None
        try:
            result = json.loads(
                self.client("s3").get_object(Bucket=TRAINING_RESULTS, Key=f"{request_id}.json")["Body"].read()
            )
        except self.client("s3").exceptions.NoSuchKey:
            pass
        if status is None and result is None:
            if log.workflow(request_id) is None:
                return _problem(404, f"no training request {request_id}")
            status = {"status": STARTING}  # uploaded a moment ago; its workflow has recorded nothing yet
        executions = self.executions.named(request_id, scenario="training")
        return Shown(
            {
                "request_id": request_id,
                "status": (status or {}).get("status") or (result or {}).get("outcome"),
                "progress": status,
                "log": log.entries(request_id),
                "result": result,
                "executions": executions,
            }
        )

    def index(self, request: Request) -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"cache-control": "no-cache"})


def create_app(
    runtime: LocalRuntime,
    signer: TokenSigner,
    docs_dir: Path = DOCS_DIR,
    *,
    allowed_hosts: Collection[str] | None = None,
    listen_host: str | None = None,
    page_size: int | None = None,
) -> Starlette:
    """The console. ``allowed_hosts``: the Host values served, instead of those naming the address a request
    came in on (guards.HostGuard); ``listen_host``: the host the server is bound to; ``page_size``: how many
    executions each list call asks for (None: the service's default), read to the last page either way."""
    console = Console(runtime, signer, docs_dir, page_size=page_size)
    routes = [
        Route("/", console.index),
        Route("/api/{path:path}", console.api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/console/api/about", console.about),
        Route("/console/api/cases", console.cases),
        Route("/console/api/executions", console.signed_in(console.list_executions)),
        Route("/console/api/execution", console.signed_in(console.execution)),
        Route("/console/api/durable", console.signed_in(console.durable)),
        Route("/console/api/events", console.signed_in(console.events)),
        Route("/console/api/audit/{item_id}", console.audit),
        Route("/console/api/logs/{item_id}", console.signed_in(console.logs)),
        Route("/console/api/asl/{name}", console.asl),
        Route("/console/api/bench", console.bench),
        Route("/console/bench.svg", console.bench_chart),
        Route("/console/api/training/requests", console.upload_training, methods=["POST"]),
        Route("/console/api/training/requests/{request_id}", console.signed_in(console.training_request)),
        *Recovery(console).routes(),  # POST /console/api/recovery/{redrive,start-again,rerun,stop} [role]
        Route("/api-docs", api_docs.page),
        Route("/swagger-ui/{name}", api_docs.swagger_ui_file),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    middleware = [  # outermost first
        Middleware(SecurityHeaders),
        Middleware(UnexpectedErrors),
        Middleware(HostGuard, allowed_hosts=allowed_hosts, listen_host=listen_host),
        Middleware(SameOriginJson),
        Middleware(JournalBarrier, runtime=runtime),
    ]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.console = console
    return app
