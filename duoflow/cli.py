"""duoflow: loan and training approvals on Step Functions, durable functions, and both — run locally.

duoflow demo                       every loan and training case on the hybrid variant, with results tables
duoflow demo --scenario training --variant all   the training requests on all three variants
duoflow demo --json                the same runs as JSON
duoflow serve                      the runtime + API + console; state kept in .duoflow/state/ (resumed on start)
duoflow serve --reload             the same, restarted when the code changes (executions carry on)
duoflow serve --mock-config MockConfigFile.json   Step Functions Local's test cases: start arn#TestCase
duoflow up template.yaml           a SAM or CloudFormation app on the runtime: prints "api: URL" and "aws endpoint: URL"
duoflow state clear                forget the kept state (asks first; --yes for scripts)
duoflow logs ID                    one application's or request's log lines, every function, oldest first
duoflow explain statemachines/loan.asl.json   the loan's state machine as a policy document (Markdown)

SIGTERM stops every command as Ctrl-C does: the runtime stops, and a throwaway state directory is removed.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from duoflow.reloader import CODE_FOLDERS, code_folders, supervise
from duoflow.state_dir import DEFAULT_STATE_DIR, StateDirError, absolute, claim_state_dir, clear_state_dir
from duoflow.terminal import RuntimeStopped, end_process, err, main_thread, out, sigterm_as_ctrl_c
from duoflow.variants import LOAN_VARIANTS

app = typer.Typer(
    help="duoflow: approvals on AWS Step Functions and Lambda durable functions, compared, on a local runtime.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Scenario(StrEnum):
    loan = "loan"
    training = "training"


# --variant: one of the variants (services/common/variants.py), or all three in the tables' order
Variant = StrEnum("Variant", [*LOAN_VARIANTS, "all"])


def variants_for(choice: Variant) -> list[str]:
    return list(LOAN_VARIANTS) if choice is Variant.all else [choice.value]


TIME_SCALE_HELP = (
    "Modelled time × this = real time for waits and simulated delays: 0.001 turns the fraud service's 5 s into 5 ms; "
    "1 runs in real time."
)
TIMEOUT_SCALE_HELP = (
    "The same for timeouts (the manager's 30 minutes, the fraud check's 5): 0.01 gives 18 s and 3 s. Slower than "
    "--time-scale because work is not scaled, and on a loaded machine a timeout must not race the work it guards."
)


def time_control(time_scale: float, timeout_scale: float):
    from duoflow.runtime import TimeControl

    return TimeControl.scaled(time_scale, timeouts=max(timeout_scale, time_scale))


@app.callback()
def main(ctx: typer.Context) -> None:
    """Everything runs on this machine on the embedded local runtime: no AWS account, no Docker."""
    if main_thread():
        # SIGTERM unwinds like Ctrl-C, so the runtime stops and removes its throwaway state directory.
        ctx.call_on_close(sigterm_as_ctrl_c())


@app.command()
def demo(
    scenario: Scenario = typer.Option(
        None, help="Which business process to run: loan or training; default: both, the loan first."
    ),
    variant: Variant = typer.Option(
        Variant.hybrid, help="Which implementation: hybrid (ASL macro flow + durable micro flow), or all that exist."
    ),
    case: list[str] = typer.Option(None, "--case", help="Run only this case (repeatable); default: every case."),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as JSON on stdout instead of a table."),
    time_scale: float = typer.Option(0.001, min=0.000001, max=1.0, help=TIME_SCALE_HELP),
    timeout_scale: float = typer.Option(0.01, min=0.000001, max=1.0, help=TIMEOUT_SCALE_HELP),
) -> None:
    """Run the demo cases through the HTTP API, with a simulated manager and fraud service answering.

    Cases are the files in scenarios/<scenario>/. Ends with a table (or JSON) of outcome, reason, end-to-end time, state transitions and durable operations per run; exits 1 if a run's outcome is not the expected one.
    """
    from duoflow.demo import run_cases
    from duoflow.demo_report import loan_table, model_disagreements, progress_line, training_table
    from duoflow.stack import local_stack
    from duoflow.training_demo import run_training_cases

    chosen = {name: _cases_or_exit(case, name) for name in _scenarios(scenario, case)}
    runners = {Scenario.loan: run_cases, Scenario.training: run_training_cases}
    variants = variants_for(variant)
    results = []
    with err.status("starting the local runtime…") as status:
        with local_stack(time_control(time_scale, timeout_scale)) as runtime:
            for name, cases in chosen.items():
                total, done = len(cases) * len(variants), []

                def show(result, name=name, total=total, done=done) -> None:
                    results.append(result)
                    done.append(result)
                    err.print(progress_line(result))
                    status.update(f"running {name.value} cases… {len(done)}/{total}")

                status.update(f"running {name.value} cases… 0/{total}")
                runners[name](runtime, cases, variants, on_done=show)

    if as_json:
        _print_json([result.to_json() for result in results])
    else:
        for name in chosen:
            runs = [result for result in results if result.scenario == name.value]
            out.print(loan_table(runs) if name is Scenario.loan else training_table(runs))
        for note in model_disagreements(results):
            err.print(note)
    unexpected = [result for result in results if not result.as_expected]
    if unexpected:
        err.print(
            f"[red]{len(unexpected)} run(s) did not end as expected:[/red] "
            + ", ".join(f"{r.variant}/{r.case}" for r in unexpected)
        )
        raise typer.Exit(1)


@app.command()
def bench(
    scenario: Scenario = typer.Option(
        None,
        help="Which business process to measure: loan or training; default: both (training's report goes to bench-training.json).",
    ),
    variant: Variant = typer.Option(Variant.all, help="Which implementations to compare (default: all three)."),
    case: list[str] = typer.Option(None, "--case", help="Measure only this case (repeatable); default: every case."),
    runs: int = typer.Option(5, min=1, max=1000, help="Runs of each case in the latency pass."),
    concurrency: int = typer.Option(4, min=1, max=64, help="Runs at a time in the latency pass."),
    output: Path = typer.Option(
        Path("bench.json"), "--out", help="Where to write every raw figure (JSON); the chart goes beside it."
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the figures as JSON on stdout instead of a table: keyed by variant (sfn, durable, hybrid) for one --scenario, by scenario then variant for both.",
    ),
    time_scale: float = typer.Option(0.001, min=0.000001, max=1.0, help=TIME_SCALE_HELP),
    timeout_scale: float = typer.Option(0.01, min=0.000001, max=1.0, help=TIMEOUT_SCALE_HELP),
    overhead: bool = typer.Option(
        True,
        "--overhead/--no-overhead",
        help="Also time the hybrid happy path (Charlie) against the two stock engines alone (the durable testing runner, moto's Step Functions) and report the ratio.",
    ),
    load: int = typer.Option(
        0,
        min=0,
        max=100_000,
        help="Also submit this many applications at once (every case on every variant in turn, on a fresh stack whose timeouts run in real time) and report total time, throughput, p50 and p95, the most threads at once and the peak resident memory; 0 skips it.",
    ),
    synth: bool = typer.Option(
        True,
        "--synth/--no-synth",
        help="Also time `cdk synth` of the CDK app (a fresh python infra/app.py, bundling skipped).",
    ),
    target: str = typer.Option(
        "local",
        help="Where the workflows run: local (the embedded runtime) or aws (a stack deployed with cdk deploy --outputs-file; see README.md, 'Deploy to AWS').",
    ),
    outputs_file: Path = typer.Option(
        Path("cdk-outputs.json"), "--outputs", help="--target aws: the file `cdk deploy --outputs-file` wrote."
    ),
    stack_name: str = typer.Option(None, "--stack", help="--target aws: the stack to use when the file holds several."),
) -> None:
    """Compare the variants side by side: latency, state transitions, durable operations, Lambda use, dollars per million runs.

    Writes bench.json (every raw figure, the machine, library versions, the price table's sources and date) and a chart (bench.png, bench.svg) beside it. Prices: duoflow/bench/prices.json.
    """
    from catalog.outputs import OutputsError
    from duoflow.bench.passes import bench_locally, bench_on_aws
    from duoflow.bench.report import headlines, shown, write

    scenarios = _scenarios(scenario, case)
    variants = variants_for(variant)
    if target not in ("local", "aws"):
        raise _error(f"--target must be local or aws, not {target!r}")
    if target == "aws":
        if scenario is Scenario.training:
            raise _error("--target aws measures the loan scenario; the training scenario runs locally")
        cases = _cases_or_exit(case)
        try:
            reports = {"loan": bench_on_aws(outputs_file, stack_name, cases, variants, runs, concurrency)}
        except OutputsError as error:
            raise _error(str(error)) from None
    else:
        chosen = {name.value: _cases_or_exit(case, name) for name in scenarios}
        output.parent.mkdir(parents=True, exist_ok=True)
        clock = time_control(time_scale, timeout_scale)
        reports = bench_locally(chosen, variants, runs, concurrency, clock, overhead=overhead, load=load, synth=synth)
    written = write(reports, output, charts=target == "local")
    if as_json:
        _print_json(headlines(reports))
    else:
        for report in reports.values():
            for part in shown(report):
                out.print(part)
    err.print(f"wrote {', '.join(str(path) for path in written)}")


def _error(message: str, code: int = 2) -> typer.Exit:
    """Print the error (rich markup) and return the exit to raise."""
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _write_document(text: str, out_path: Path | None, what: str = "") -> None:
    """A document on stdout, or into ``out_path`` (its folders made) with a note on stderr."""
    if out_path is None:
        sys.stdout.write(text)
        return
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text)
    err.print(f"wrote {escape(str(out_path))}" + (f" ({what})" if what else ""))


def _print_json(document: object) -> None:
    import json

    sys.stdout.write(json.dumps(document, indent=2) + "\n")


def _scenarios(scenario: Scenario | None, case: list[str] | None) -> list[Scenario]:
    """The scenario asked for, or both, the loan first; --case names one scenario's cases, so it needs it."""
    if case and scenario is None:
        raise _error("--case needs --scenario (loan or training)")
    return [scenario] if scenario else [Scenario.loan, Scenario.training]


def _cases_or_exit(names: list[str] | None, scenario: Scenario = Scenario.loan):
    """The named demo cases (all when none are named); an unknown name ends the command with a clear error."""
    from duoflow.scenarios import loan_cases, training_cases

    try:
        return (training_cases if scenario is Scenario.training else loan_cases)(names or None)
    except KeyError as error:
        raise _error(error.args[0]) from None


# --- the state directory (duoflow/state_dir.py) ----------------------------------------------------------------------

STATE_DIR_HELP = (
    "Where the server keeps its state: executions with their history, pending approvals and reviews, timers, "
    "DynamoDB items, S3 objects, the console's token secret. Relative to the current directory; created 0700."
)

state_app = typer.Typer(
    help="The state `duoflow serve` keeps between runs (executions, approvals, timers, items, objects, the console's token secret).",
    no_args_is_help=True,
)
app.add_typer(state_app, name="state")


@state_app.command("clear")
def state_clear(
    state_dir: Path = typer.Option(DEFAULT_STATE_DIR, "--state-dir", help=STATE_DIR_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help="Don't ask first (for scripts)."),
) -> None:
    """Forget everything `duoflow serve` kept: every execution, pending approval and review, timer, item and object; tokens printed before stop working.

    Asks first unless --yes. Refused (exit 1) while a server runs on that state directory: stop it first (or start it again with --fresh).
    """
    path = absolute(state_dir)
    if not path.exists():
        err.print(f"nothing to clear: {escape(str(path))} does not exist")
        return

    def confirm() -> None:
        if not yes:
            typer.confirm(
                f"Forget every execution, approval, item and object kept in {path}? Tokens printed before stop working",
                abort=True,
            )

    try:
        removed = clear_state_dir(path, confirm)
    except StateDirError as error:
        raise _error(escape(str(error)), 1) from None
    out.print(f"cleared {escape(str(path))} ({removed} entries removed)")


@state_app.command("path")
def state_path(state_dir: Path = typer.Option(DEFAULT_STATE_DIR, "--state-dir", help=STATE_DIR_HELP)) -> None:
    """Print the state directory's absolute path."""
    sys.stdout.write(f"{absolute(state_dir)}\n")


# --- serve (duoflow/serving.py; --reload: duoflow/reloader.py) -------------------------------------------------------

SERVE_TIME_SCALE_HELP = (
    "Modelled time × this = real time for waits and simulated delays. People answer in real time in the console; "
    "0.1 lets you watch the fraud service's 5 s go by in 0.5 s."
)
SERVE_TIMEOUT_SCALE_HELP = "The same for timeouts: 0.5 gives a manager 15 minutes to answer and HR 36 hours."


class LogLevel(StrEnum):
    debug = "DEBUG"
    info = "INFO"
    warning = "WARNING"
    error = "ERROR"


ServeLogLevel = StrEnum("ServeLogLevel", {**{level.name: level.value for level in LogLevel}, "off": "OFF"})


@app.command()
def serve(
    ctx: typer.Context,
    port: int = typer.Option(8000, min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on. The console has no TLS: keep it local."),
    aws_port: int = typer.Option(
        None,
        min=0,
        max=65535,
        help="Port of the AWS endpoint: the runtime's Step Functions, Lambda (with the durable APIs), DynamoDB, S3, SNS and SQS for the AWS CLI and SDKs (--endpoint-url, AWS_ENDPOINT_URL, dummy credentials, region us-east-1). Default: --port + 1 (8001); any free port when --port is 0. Printed as 'aws endpoint: URL'.",
    ),
    aws_host: str = typer.Option(
        "127.0.0.1",
        help="Interface the AWS endpoint listens on. It checks no credentials: whoever reaches it acts as any AWS principal on the runtime. Keep it local.",
    ),
    time_scale: float = typer.Option(0.1, min=0.000001, max=1.0, help=SERVE_TIME_SCALE_HELP),
    timeout_scale: float = typer.Option(0.5, min=0.000001, max=1.0, help=SERVE_TIMEOUT_SCALE_HELP),
    state_dir: Path = typer.Option(
        DEFAULT_STATE_DIR,
        "--state-dir",
        help=STATE_DIR_HELP + " One server per state directory: a second one is refused.",
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Empty the state directory first: start with no executions (and new tokens)."
    ),
    reload: bool = typer.Option(
        False,
        "--reload",
        help=f"Restart the server when a .py or .json file under {', '.join(CODE_FOLDERS)} changes, on the same state directory and port: executions carry on, on the new code.",
    ),
    watch: list[Path] = typer.Option(None, "--watch", hidden=True, help="--reload: watch these folders instead."),
    socket_fd: int = typer.Option(None, "--socket-fd", hidden=True, help="(--reload) the listening socket."),
    lock_fd: int = typer.Option(None, "--lock-fd", hidden=True, help="(--reload) the state directory's lock."),
    aws_socket_fd: int = typer.Option(
        None, "--aws-socket-fd", hidden=True, help="(--reload) the AWS endpoint's socket."
    ),
    log_level: ServeLogLevel = typer.Option(
        ServeLogLevel.info,
        "--log-level",
        help="Print the functions' log lines at this level or above as they happen (OFF: none). Every line is kept in STATE-DIR/function-logs.jsonl whatever is printed; `duoflow logs ID` reads it.",
    ),
    function: list[str] = typer.Option(
        None, "--function", help="Print only these functions' or durable flows' lines (repeat the option)."
    ),
    mock_config: Path = typer.Option(
        None,
        "--mock-config",
        envvar="SFN_MOCK_CONFIG",
        metavar="FILE",
        help="A Step Functions Local mock configuration file (the MockConfigFile.json format: StateMachines → TestCases → Task state → a mocked response of MockedResponses, with Return or Throw per invocation). StartExecution on stateMachineArn#TestCaseName runs that test case: its Task states answer with their mocked responses instead of calling their service, the others call theirs; a plain ARN runs as usual. Also read from SFN_MOCK_CONFIG, as Step Functions Local reads it. Checked before the server starts: a file that cannot be used is refused, naming the problem.",
    ),
) -> None:
    """Start the local runtime, the HTTP API and the web console; print a token per role.

    Apply for a loan, approve it as a manager, upload a training request, review it as HR, and watch every execution's graph and durable operations. Approve / deny / review need the role's token: pick "Acting as" in the console and paste it, or open the sign-in link printed for the role.

    State: everything lives in the state directory (.duoflow/state/ here unless --state-dir), so a restart loses nothing: executions that were running carry on, finished ones stay listed, pending approvals and reviews can still be answered, and the printed tokens (12 hours) keep working. --fresh starts from an empty state; `duoflow state clear` empties it without starting.

    Mock files: --mock-config MockConfigFile.json (or SFN_MOCK_CONFIG) loads Step Functions Local's test cases; start an execution on arn:aws:states:us-east-1:123456789012:stateMachine:loan-sfn#MyTestCase to run one.

    AWS endpoint: the runtime's AWS APIs over HTTP at the URL printed as 'aws endpoint:', for the AWS CLI, boto3 in another process and other SDKs: AWS_ENDPOINT_URL=http://127.0.0.1:8001 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 aws stepfunctions list-executions --state-machine-arn ARN. It stops with the server.

    Stopping: Ctrl-C or SIGTERM stops accepting requests, lets those being answered finish (5 s at most), stops the runtime and exits 0. Even a kill -9 loses nothing acknowledged: every 2xx answer to a change is on disk before it is sent.
    """
    from duoflow.serving import handed_down, listen, run_server

    path = absolute(state_dir)
    if not (socket_fd is None) == (lock_fd is None) == (aws_socket_fd is None):
        raise _error("--socket-fd, --lock-fd and --aws-socket-fd go together")
    source = ctx.get_parameter_source("mock_config")
    mocks = _mock_config_or_exit(mock_config, from_environment=source is not None and source.name == "ENVIRONMENT")
    if socket_fd is not None:
        # A server started by --reload's supervisor, which holds the state directory's lock and the sockets.
        sock, lock, aws_sock = handed_down(socket_fd, lock_fd, aws_socket_fd)
    else:
        try:
            lock = claim_state_dir(path, fresh, note=lambda text: err.print(escape(text)))
        except StateDirError as error:
            raise _error(escape(str(error)), 1) from None
        try:
            sock = listen(host, port)
        except OSError as error:
            os.close(lock)
            raise _error(
                f"cannot listen on {host}:{port}: {error.strerror or error}; --port another one (0: any free port)", 1
            ) from None
        if aws_port is None:
            aws_port = port + 1 if 0 < port < 65535 else 0
        try:
            aws_sock = listen(aws_host, aws_port)
        except OSError as error:
            sock.close()
            os.close(lock)
            raise _error(
                f"cannot listen on {aws_host}:{aws_port} for the AWS endpoint: {error.strerror or error}; "
                "--aws-port another one (0: any free port)",
                1,
            ) from None
    if reload:
        if socket_fd is not None:
            raise _error("--reload supervises servers; it cannot be one")
        folders = [absolute(folder) for folder in watch] if watch else code_folders()
        options = ["--host", host, "--time-scale", repr(time_scale), "--timeout-scale", repr(timeout_scale)]
        options += ["--log-level", log_level.value, *[part for name in function or [] for part in ("--function", name)]]
        options += ["--mock-config", mocks.source] if mocks is not None else []
        raise typer.Exit(supervise(sock, lock, [*options, "--state-dir", str(path)], folders, aws_sock))
    try:
        run_server(
            sock,
            host,
            path,
            time_control(time_scale, timeout_scale),
            aws_sock,
            log_level.value,
            frozenset(function or []),
            mocks,
        )
    finally:
        os.close(lock)  # the lock is released (a supervisor's copy, if any, keeps it held)
    raise RuntimeStopped(0)


def _mock_config_or_exit(path: Path | None, from_environment: bool):
    """The mock configuration --mock-config (or SFN_MOCK_CONFIG) names, checked; exit 2 naming the problem."""
    from duoflow.runtime.sfn_mocks import ENVIRONMENT_VARIABLE, MockConfig, MockConfigError

    if path is None:
        return None
    try:
        return MockConfig.load(absolute(path))
    except MockConfigError as error:
        origin = ENVIRONMENT_VARIABLE if from_environment else "--mock-config"
        raise _error(f"{origin}: {escape(str(error))}") from None


# --- up (duoflow/templates/) -----------------------------------------------------------------------------------------


@app.command()
def up(
    template: Path = typer.Argument(
        ...,
        metavar="TEMPLATE",
        help="A SAM or CloudFormation template (YAML or JSON): template.yaml, or cdk.out/STACK.template.json.",
        show_default=False,
    ),
    state_dir: Path = typer.Option(
        None,
        "--state-dir",
        help="Where the runtime keeps the app's executions, items and objects between runs (default: .duoflow/up/STACK). One process per state directory.",
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Empty the state directory first."),
    port: int = typer.Option(
        3000,
        min=0,
        max=65535,
        help="Port of the app's API (its HttpApi/Api routes), printed as 'api: URL' (0: any free port).",
    ),
    aws_port: int = typer.Option(
        None,
        min=0,
        max=65535,
        help="Port of the AWS endpoint, printed as 'aws endpoint: URL'. Default: --port + 1; any free port when --port is 0.",
    ),
    host: str = typer.Option("127.0.0.1", help="Interface both listen on. Neither checks credentials: keep it local."),
    parameter_overrides: list[str] = typer.Option(
        None,
        "--parameter-overrides",
        help="Template parameters, as `sam deploy` takes them: Key=Value (several in one quoted argument, or repeat the option).",
    ),
    stack_name: str = typer.Option(
        None,
        "--stack-name",
        help="AWS::StackName, and the prefix of unnamed resources. Default: the app's folder name (template.yaml) or the template's name.",
    ),
    time_scale: float = typer.Option(
        1.0,
        min=0.000001,
        max=1.0,
        help="Modelled time × this = real time for the engines' waits, retries and timeouts. 1 (real time) is always safe for code written for AWS: a handler's own sleeps and a library's timeouts are not scaled.",
    ),
) -> None:
    """Run a SAM or CloudFormation app on the local runtime: its functions, state machines, tables, buckets, topics and queues, its API, and the AWS endpoint.

    Deployed: AWS::Serverless::Function and AWS::Lambda::Function (Python handlers from CodeUri, or a CDK asset folder beside the template; Environment, Timeout, MemorySize, DurableConfig, AutoPublishAlias, Layers of the template's own layers), AWS::Serverless::StateMachine and AWS::StepFunctions::StateMachine (Definition, DefinitionString, DefinitionUri, DefinitionSubstitutions), AWS::DynamoDB::Table and AWS::Serverless::SimpleTable, AWS::S3::Bucket, AWS::SNS::Topic, AWS::SQS::Queue; the HttpApi and Api events of functions and a CDK HTTP API's routes, served at the printed 'api: URL'; AWS::Events::Rule on a bucket's S3 'Object Created' events to a function. Bedrock Converse is answered by duoflow's local screening model (training-screening prompts only). Intrinsics: Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If and the conditions, Fn::FindInMap; Parameters with defaults and --parameter-overrides; SAM Globals; AWS::Region, AWS::AccountId, AWS::StackName.

    Everything else is listed when it starts, with the reason ('not deployed: ...'; IAM, log groups and permissions as 'not needed locally'), never skipped silently. A template error names the resource and property and exits 2.

    A function's requirements.txt (in its CodeUri) is installed as `sam build` installs it (uv pip install --target, or pip), once per content, into a cache (DUOFLOW_REQUIREMENTS_CACHE, default ~/.cache/duoflow/requirements) reused offline; the folder is on that function's import path only.

    Every name is the template's, else STACK-LogicalId; region us-east-1, account 123456789012. Use the AWS endpoint to start executions and invoke functions: AWS_ENDPOINT_URL=http://127.0.0.1:3001 aws stepfunctions start-execution --state-machine-arn ARN. The state lives in the state directory: a restart carries on what was running.
    """
    from duoflow.runtime import TimeControl
    from duoflow.serving import listen
    from duoflow.templates.errors import TemplateError
    from duoflow.templates.requirements import default_cache
    from duoflow.templates.template import parse_overrides
    from duoflow.templates.up import run_up, stack_name_for

    if not template.is_file():
        raise _error(f"no such template: {escape(str(template))}")
    try:
        overrides = parse_overrides(parameter_overrides)
    except TemplateError as error:
        raise _error(escape(str(error))) from None
    stack = stack_name or stack_name_for(template)
    path = absolute(state_dir or Path(".duoflow/up") / stack)
    try:
        lock = claim_state_dir(path, fresh, note=lambda text: err.print(escape(text)))
    except StateDirError as error:
        raise _error(escape(str(error)), 1) from None
    try:
        sockets = []
        for label, number in (
            ("the API", port),
            ("the AWS endpoint", aws_port if aws_port is not None else (port + 1 if 0 < port < 65535 else 0)),
        ):
            try:
                sockets.append(listen(host, number))
            except OSError as error:
                for sock in sockets:
                    sock.close()
                raise _error(
                    f"cannot listen on {host}:{number} for {label}: {error.strerror or error}; give another port (0: any free port)",
                    1,
                ) from None
        code = run_up(
            template, path, sockets[0], sockets[1], stack, overrides, TimeControl.scaled(time_scale), default_cache()
        )
    finally:
        os.close(lock)
    raise RuntimeStopped(code)


@app.command()
def logs(
    correlation_id: str = typer.Argument(..., metavar="ID", help="An application id or a training request id."),
    state_dir: Path = typer.Option(DEFAULT_STATE_DIR, "--state-dir", help=STATE_DIR_HELP),
    level: LogLevel = typer.Option(LogLevel.debug, "--level", help="Only lines at this level or above."),
    as_json: bool = typer.Option(False, "--json", help="Print the lines as they were logged (JSON lines)."),
) -> None:
    """Every log line of one application or training request, across every function, oldest first.

    Reads the functions' log file of `duoflow serve` (STATE-DIR/function-logs.jsonl), whether the server runs or not.
    Exit 1 when no line names ID.
    """
    from duoflow.function_logs import function_logs_file, lines_of, readable

    log_file = function_logs_file(absolute(state_dir))
    if not log_file.exists():
        raise _error(f"no function logs in {escape(str(log_file))}: start `duoflow serve` there first", code=1)
    found = lines_of(log_file, correlation_id, level.value)
    if found.unreadable:
        err.print(f"skipped {found.unreadable} line(s) that are not JSON (cut short by a crash)")
    if not found.lines:
        raise _error(f"no log line names {escape(correlation_id)} in {escape(str(log_file))}", code=1)
    for line in found.lines:
        if as_json:
            sys.stdout.write(json.dumps(line) + "\n")
        else:
            when, severity, who, text = next(readable([line]))
            out.print(f"{escape(when)} {severity:<7} {escape(who):<24} {escape(text)}", soft_wrap=True, highlight=False)


@app.command()
def metrics(
    state_dir: Path = typer.Option(DEFAULT_STATE_DIR, "--state-dir", help=STATE_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON instead of a table."),
) -> None:
    """The business metrics of the local run, as a table: decisions by outcome, managers' and HR's decisions, timeouts, fraud check failures, compensations, screening scores.

    Each row is one metric and its dimensions (Scenario=loan, Outcome=approved …): how many samples, their sum, the smallest and largest, and the average. They are the CloudWatch embedded-metric-format lines the functions wrote to the log file of `duoflow serve` (STATE-DIR/function-logs.jsonl), read whether the server runs or not; in AWS the same lines are CloudWatch metrics in the "duoflow" namespace. Exit 1 when there is no log file or no metric in it yet.
    """
    from rich.table import Table

    from duoflow.business_metrics import metrics_in, table_rows
    from duoflow.function_logs import function_logs_file

    log_file = function_logs_file(absolute(state_dir))
    if not log_file.exists():
        raise _error(f"no function logs in {escape(str(log_file))}: start `duoflow serve` there first", code=1)
    found = metrics_in(log_file)
    if found.unreadable:
        err.print(f"skipped {found.unreadable} line(s) that are not JSON (cut short by a crash)")
    if not found.rows:
        raise _error(f"no metric in {escape(str(log_file))} yet: run an application or a training request", code=1)
    if as_json:
        _print_json([row.as_dict() for row in found.rows])
        return
    table = Table(title=f"business metrics ({found.rows[0].namespace}) from {escape(str(log_file))}")
    for column in ("metric", "dimensions", "samples", "sum", "min–max", "average"):
        table.add_column(column, justify="right" if column in ("samples", "sum", "average") else "left")
    for row in table_rows(found.rows):
        table.add_row(*map(escape, row))
    out.print(table)


class AuditFormat(StrEnum):
    md = "md"
    json = "json"
    csv = "csv"


@app.command()
def audit(
    item_id: str = typer.Argument(..., metavar="ID", help="An application id or a training request id."),
    output_format: AuditFormat = typer.Option(
        AuditFormat.md, "--format", help="md: a document a reviewer can file; json or csv: for tools."
    ),
    state_dir: Path = typer.Option(DEFAULT_STATE_DIR, "--state-dir", help=STATE_DIR_HELP),
    out_path: Path | None = typer.Option(None, "--out", help="Write the export to this file instead of stdout."),
) -> None:
    """The audit trail of one application or training request, as one document: what happened, when, who decided, under which rule, and the outcome.

    Merges the workflow's audit trail (the business record: the same for the three variants), the Step Functions history and the durable executions' operations into one list in time order. Every person's decision appears with their name and comment; each decision point with the rule that applied and the domain constant that sets it ("a loan of $100,000 or more needs a manager (domain/loan/rules.py MANAGER_APPROVAL_THRESHOLD)"). No SIN, income, or state input or output is in it.

    Reads the state directory of `duoflow serve` read-only, whether the server runs or not. Exit 1 when no application or request has that id.
    """
    from duoflow.audit_export import NotFound, audit_export, render
    from duoflow.runtime.saved_state import NoSavedState, SavedState

    directory = absolute(state_dir)
    try:
        export = audit_export(SavedState(directory), item_id)
    except NoSavedState as missing:
        raise _error(escape(str(missing)), code=1) from None
    except NotFound as unknown:
        raise _error(escape(str(unknown)), code=1) from None
    _write_document(render(export, output_format.value, str(state_dir)), out_path, f"{len(export.trail)} entries")


@app.command()
def diagrams(
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if a diagram is missing or stale."),
) -> None:
    """Draw every state machine in statemachines/ and the system's architecture into diagrams/ (.mmd and .svg).

    The SVGs come from duoflow's own deterministic layout (the one the console draws executions with); the Mermaid sources render on GitHub.
    """
    from duoflow.diagrams import DIAGRAMS_DIR, stale, write

    if check:
        found = stale()
        if found:
            err.print("[red]stale diagrams:[/red] " + ", ".join(found) + " — run `duoflow diagrams`")
            raise typer.Exit(1)
        err.print(f"diagrams in {DIAGRAMS_DIR} are up to date")
        return
    for path in write():
        out.print(str(path))


@app.command()
def explain(
    asl_file: Path | None = typer.Argument(
        None, help="An ASL file, e.g. statemachines/loan.asl.json. Without one: --all or --check.", show_default=False
    ),
    out_path: Path | None = typer.Option(None, "--out", help="Write the Markdown to this file instead of stdout."),
    all_files: bool = typer.Option(
        False, "--all", help="Write docs/policies/<name>.md for every statemachines/*.asl.json."
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Write nothing; exit 1 if the ASL review finds a problem (comments, Title Case names, Retry or Catch, "
        "named targets, unreachable states, thresholds and timeouts as ${Placeholders}) or a policy document in "
        "docs/policies/ is stale.",
    ),
) -> None:
    """Write a state machine as a policy document for a compliance reviewer (Markdown, on stdout or --out).

    Each step in order: what it does (its Comment); each decision's rules in words with the domain constant's value and where it is set ("loan amount ≥ $100,000 (domain/loan/rules.py MANAGER_APPROVAL_THRESHOLD)"); each wait's time limit and the step reached when it runs out; which errors lead where. The values are those catalog/state_machines.py fills in for the state machine that uses the file (found by file name).

    docs/policies/ holds the documents of every state machine (--all rewrites them); --check fails when one is stale, as `duoflow diagrams --check` does for diagrams/.
    """
    from duoflow.policies import POLICIES_DIR, policy_markdown, problems, write_all

    if check:
        found = problems([asl_file] if asl_file else None)
        for problem in found:
            err.print(escape(problem))
        if found:
            raise typer.Exit(1)
        err.print(f"the ASL passes the review; the policy documents in {POLICIES_DIR} are up to date")
        return
    if all_files:
        for path in write_all():
            out.print(str(path))
        return
    if asl_file is None:
        raise _error("give an ASL file (e.g. statemachines/loan.asl.json), --all or --check")
    if not asl_file.is_file():
        raise _error(f"no such file: {escape(str(asl_file))}")
    _write_document(policy_markdown(asl_file), out_path)


def run() -> None:
    """The ``duoflow`` command (pyproject.toml's script, ``python -m duoflow.cli``): ``app`` as a process."""
    try:
        app()
    except SystemExit as done:
        end_process(done)


if __name__ == "__main__":
    run()
