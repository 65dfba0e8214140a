"""`duoflow up TEMPLATE` in the foreground: read and plan the template, install its functions' requirements, start
the runtime on the state directory with the template's resources, serve its API routes and the AWS endpoint, print
what was deployed and what was not, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import re
import signal
import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from rich.markup import escape

from duoflow.runtime.function_code import HandlerLoadError
from duoflow.templates.errors import TemplateError
from duoflow.templates.loader import load_template
from duoflow.templates.plan import Plan, plan_template
from duoflow.templates.template import Template
from duoflow.terminal import err, main_thread, out, sigterm_as_ctrl_c, wait_for_signal


def stack_name_for(template_path: Path) -> str:
    """The stack name `sam deploy` would ask for, guessed: the app's folder for template.yaml, else the file's
    name (``duoflow-dev.template.json`` → ``duoflow-dev``)."""
    stem = template_path.name
    for suffix in (".json", ".yaml", ".yml", ".template"):
        stem = stem.removesuffix(suffix)
    if stem == "template":
        stem = template_path.resolve().parent.name
    return re.sub(r"[^A-Za-z0-9-]", "-", stem).strip("-")[:100] or "stack"


def read_plan(template_path: Path, stack_name: str, overrides: dict[str, str], api_url: str) -> Plan:
    document = load_template(template_path)
    return plan_template(Template(document, template_path.resolve().parent, stack_name, overrides, api_url=api_url))


def describe(plan: Plan, print_line: Callable[[str], None]) -> None:
    """What was deployed, and every resource and event that was not, with the reason."""
    for function in plan.functions:
        kind = "durable function" if function.durable_execution_timeout_seconds else "function"
        alias = f" (alias {function.alias})" if function.alias else ""
        print_line(f"  {kind} {function.name}{alias}: {function.handler}")
    for machine in plan.state_machines:
        arn = f"arn:aws:states:{plan.region}:{plan.account_id}:stateMachine:{machine.name}"
        print_line(f"  state machine {machine.name}: {arn}")
    for label, items in (
        ("table", plan.tables),
        ("bucket", plan.buckets),
        ("topic", plan.topics),
        ("queue", plan.queues),
    ):
        for item in items:
            print_line(f"  {label} {item.name}")
    for route in plan.routes:
        print_line(f"  route {route.route_key} → {route.function}")
    for rule in plan.upload_rules:
        print_line(
            f"  rule {rule.logical_id}: objects created in {rule.bucket} under '{rule.prefix}' → {rule.function}"
        )
    for left in plan.unsupported:
        print_line(f"not deployed: {left.where} ({left.type}): {left.reason}")
    reasons = Counter((left.type, left.reason) for left in plan.not_needed)
    for (kind, reason), count in sorted(reasons.items()):
        print_line(f"not needed locally: {count} × {kind} ({reason})")
    for note in plan.notes:
        print_line(f"note: {note}")


def run_up(
    template_path: Path,
    state_dir: Path,
    api_sock: socket.socket,
    aws_sock: socket.socket,
    stack_name: str,
    overrides: dict[str, str],
    time_control,
    requirements_cache: Path,
) -> int:
    """Deploy and serve until Ctrl-C or SIGTERM; 2 (with the error printed) when the template cannot be deployed."""
    from duoflow.runtime import LocalRuntime
    from duoflow.serving import url_of
    from duoflow.templates.api import ApiServer
    from duoflow.templates.deploy import deploy, function_catalog
    from services.scorer import local_converse

    def say(line: str) -> None:
        out.print(escape(line), soft_wrap=True, highlight=False)

    restore_sigterm = sigterm_as_ctrl_c() if main_thread() else None
    runtime = server = None
    try:
        api_url = url_of(api_sock)
        try:
            plan = read_plan(template_path, stack_name, overrides, api_url)
            catalog = function_catalog(plan, requirements_cache, note=lambda text: err.print(escape(text)))
            say(f"deploying {template_path} as stack {stack_name}:")
            describe(plan, say)
            with err.status("starting the local runtime…"):
                runtime = LocalRuntime(catalog, state_dir=state_dir, time_control=time_control)
                runtime.start()
                # Bedrock is not reachable offline: Converse is answered by duoflow's local screening model, as under
                # serve; it reads training-screening prompts only and refuses any other prompt, saying so.
                runtime.serve_converse(local_converse.converse)
                deploy(runtime, plan)
                runtime.refresh_environment()
                resumed = runtime.resume()
                runtime.settle()
        except TemplateError as error:
            err.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True)
            return 2
        except HandlerLoadError as error:  # a handler that cannot be loaded: the function's code, not the runtime
            err.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True)
            return 2
        aws_url = runtime.serve_aws(aws_sock)
        lambda_client = runtime.client("lambda")

        def invoke(function: str, payload: bytes) -> tuple[bytes, str | None]:
            result = lambda_client.invoke(FunctionName=function, Payload=payload)
            return result["Payload"].read(), result.get("FunctionError")

        server = ApiServer(api_sock, plan.routes, invoke).start()
        say(f"api: {api_url}" if plan.routes else "api: none (the template declares no HttpApi or Api routes)")
        say(f"aws endpoint: {aws_url}")
        say("bedrock converse: answered by duoflow's local screening model (training-screening prompts only)")
        say(
            f"  AWS_ENDPOINT_URL={aws_url} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
            f"AWS_DEFAULT_REGION={runtime.region} aws stepfunctions list-state-machines"
        )
        for name, value in plan.outputs.items():
            say(f"output {name}: {value}")
        if any(resumed.values()):
            say("resumed: " + ", ".join(f"{count} {kind}" for kind, count in resumed.items() if count))
        say(f"state: {state_dir} (kept across restarts; --fresh forgets it)")
        say(f"time ×{time_control.scale} (1: real time, as in AWS)")
        say("Ctrl-C stops.")
        wait_for_signal()
    except KeyboardInterrupt:
        pass
    finally:
        if restore_sigterm is not None:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping already
        if server is not None:
            server.stop()
        if runtime is not None:
            with err.status("stopping the local runtime…"):
                runtime.stop()
        api_sock.close()
        aws_sock.close()
        if restore_sigterm is not None:
            restore_sigterm()
    say(f"stopped; the state is in {state_dir}")
    return 0
