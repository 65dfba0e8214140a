"""The CDK app's pure-Python parts, without a synth: context settings, IAM derived from the ASL, the Lambda
bundle's dependency list, the outputs reader."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import sys
import tomllib
from pathlib import Path

import pytest

from catalog import deployment
from catalog.outputs import OutputsError, read_outputs
from catalog.specs import FunctionSpec, ResourceRef
from catalog.state_machines import LOAN_HYBRID, StateMachineSpec
from infra.bundling import LAMBDA_DISTRIBUTIONS, ROOT, SOURCE_PACKAGES, pinned_requirements
from infra.config import DEFAULTS, SettingError, Settings
from infra.permissions import ANSWERS, TABLE_ACTIONS, UnscopedAccess, function_access, state_machine_access

# --- settings ---------------------------------------------------------------------------------------------------


def test_settings_default_and_read_command_line_text():
    assert Settings.from_context({}) == Settings.from_context(DEFAULTS)
    settings = Settings.from_context({"stage": "prod", "nag": "false", "retain_data": "true", "architecture": "x86_64"})
    assert (settings.stage, settings.nag, settings.retain_data, settings.architecture) == (
        "prod",
        False,
        True,
        "x86_64",
    )
    assert settings.physical_name("duoflow-api") == "duoflow-prod-api"
    assert settings.physical_name("loan-workflow") == "duoflow-prod-loan-workflow"


@pytest.mark.parametrize(
    ("context", "named"),
    [
        ({"stage": "Prod!"}, "stage"),
        ({"stage": "a-stage-name-too-long"}, "stage"),
        ({"architecture": "arm"}, "architecture"),
        ({"nag": "maybe"}, "nag"),
        ({"bedrock_model_id": "no spaces allowed"}, "bedrock_model_id"),
    ],
)
def test_bad_context_is_refused_naming_the_key(context, named):
    with pytest.raises(SettingError, match=rf"^context {named}="):
        Settings.from_context(context)


# --- IAM derived from declarations ----------------------------------------------------------------------------


def test_hybrid_loan_state_machine_may_do_only_what_its_tasks_do():
    access = {(a.kind, a.name): set(a.actions) for a in state_machine_access(LOAN_HYBRID)}
    functions = {
        v.logical_name for v in LOAN_HYBRID.placeholders.values() if isinstance(v, ResourceRef) and v.kind == "function"
    }
    assert {name for kind, name in access if kind == "function_alias"} == functions
    assert all(
        actions == {"lambda:InvokeFunction"} for (kind, _), actions in access.items() if kind == "function_alias"
    )
    assert access[("topic", "applicant-notifications")] == {"sns:Publish"}
    # the audit-trail transaction (Put, Update, Delete) and the failure record (Update)
    assert access[("table", "loan-progress")] == {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}


def _spec_with(tmp_path: Path, state: dict, placeholders: dict) -> StateMachineSpec:
    asl = tmp_path / "probe.asl.json"
    asl.write_text(json.dumps({"StartAt": "Probe", "States": {"Probe": {**state, "End": True}}}))
    return StateMachineSpec("probe", "probe", "sfn", str(asl), "probe", placeholders)


def test_a_task_whose_resource_is_not_a_declared_placeholder_stops_the_synth(tmp_path):
    spec = _spec_with(
        tmp_path,
        {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "{% $x %}"}},
        {},
    )
    with pytest.raises(UnscopedAccess, match="must be a \\$\\{Placeholder\\} naming a declared function"):
        state_machine_access(spec)


def test_an_integration_infra_does_not_know_stops_the_synth(tmp_path):
    spec = _spec_with(tmp_path, {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Arguments": {}}, {})
    with pytest.raises(UnscopedAccess, match="does not know the IAM actions of sqs:sendMessage"):
        state_machine_access(spec)


def test_a_function_may_touch_only_what_its_environment_names():
    spec = FunctionSpec(
        name="probe",
        handler="x.handler",
        description="probe",
        environment={
            "TABLE": ResourceRef("table", "t"),
            "TOPIC": ResourceRef("topic", "n", "arn"),
            "CALLEE": "other",  # a catalog function's plain name: its alias
            "LITERAL": "not a resource",
        },
    )
    access = {
        (a.kind, a.name, a.detail): a.actions for a in function_access(spec, ["probe", "other"], (), {"t": "pending"})
    }
    assert access == {
        ("table", "t", ""): tuple(sorted(TABLE_ACTIONS)),
        ("table_index", "t", "pending"): ("dynamodb:Query",),
        ("topic", "n", ""): ("sns:Publish",),
        ("function_alias", "other", ""): ("lambda:InvokeFunction",),
    }


def test_every_declared_answer_names_a_deployed_function_or_state_machine():
    functions = {spec.name for spec in deployment.functions()}
    machines = {spec.name for spec in deployment.state_machines()}
    for name, answers in ANSWERS.items():
        assert name in functions, name
        assert set(answers.task_tokens_of) <= machines, name
        assert set(answers.durable_callbacks_of) <= {s.name for s in deployment.functions() if s.durable}, name


# --- the Lambda bundle ----------------------------------------------------------------------------------------


def test_bundle_pins_the_lambda_distributions_at_the_locked_versions():
    locked = {p["name"]: p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    pins = dict(line.split("==") for line in pinned_requirements())
    for name in LAMBDA_DISTRIBUTIONS:
        assert pins[name] == locked[name], name
    assert "pydantic-core" in pins  # the one compiled wheel: fetched for the Lambda platform, not this one


def _module_file(module: str) -> Path | None:
    base = ROOT / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _import_time_nodes(tree: ast.AST):
    """The nodes that run when the module is imported: everything but function bodies (an import inside a
    function runs only when it is called: the local-model scorer imports numpy only for SCORER=local)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield node
        yield from _import_time_nodes(node)


def _lambda_modules() -> dict[str, Path]:
    """Every project module a catalog handler imports when it is loaded (a cold start), with its packages."""
    found: dict[str, Path] = {}
    pending = [spec.handler.rpartition(".")[0] for spec in deployment.functions()]
    while pending:
        module = pending.pop()
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            name = ".".join(parts[:depth])
            path = _module_file(name)
            if name in found or path is None:
                continue
            found[name] = path
            for node in _import_time_nodes(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    pending.extend(alias.name for alias in node.names if alias.name.split(".")[0] in SOURCE_PACKAGES)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    if node.module.split(".")[0] in SOURCE_PACKAGES:
                        pending.append(node.module)
                        pending.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_lambda_code_imports_only_what_the_bundle_holds():
    """A module-level import of a third-party package the bundle lacks fails the function at cold start."""
    bundled = {line.split("==")[0] for line in pinned_requirements()}
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, path in sorted(_lambda_modules().items()):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in SOURCE_PACKAGES or top == "__future__":
                    continue
                owners = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
                if not owners & bundled:
                    missing.append(f"{module} imports {top} ({', '.join(sorted(owners))})")
    assert missing == [], "not in the Lambda bundle (infra/bundling.py LAMBDA_DISTRIBUTIONS):\n" + "\n".join(missing)


# --- outputs --------------------------------------------------------------------------------------------------


def test_outputs_reader_says_what_is_wrong(tmp_path):
    missing = tmp_path / "none.json"
    with pytest.raises(OutputsError, match="cdk deploy --outputs-file"):
        read_outputs(missing)
    two = tmp_path / "two.json"
    two.write_text(json.dumps({"duoflow-dev": {}, "duoflow-prod": {}}))
    with pytest.raises(OutputsError, match="holds 2 duoflow stacks"):
        read_outputs(two)
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({"duoflow-dev": {"ApiUrl": "https://example"}}))
    with pytest.raises(OutputsError, match="lacks .*StateMachineLoanHybridArn"):
        read_outputs(stale)
