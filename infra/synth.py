"""Synthesize the app in this process: the templates, the cdk-nag findings, and how long it took.

    result = synthesize("cdk.out", {"bundle_dependencies": False})
    result.seconds, result.template["Resources"], result.nag_findings

Used by tests/infra (once per session) and by the benchmark (it reports the synth time). Needs no npm CLI.
The first call in a process includes loading the CDK's JavaScript runtime (jsii), as every `cdk synth` does.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Finding:
    rule: str  # AwsSolutions-IAM5[Resource::*]
    description: str
    severity: str
    paths: tuple[str, ...]  # construct paths


@dataclass(frozen=True)
class SynthResult:
    outdir: Path
    stack_name: str
    templates: dict[str, dict[str, Any]]  # stack name -> CloudFormation template
    seconds: float
    nag_findings: list[Finding]  # unacknowledged; empty when clean (or when nag is off)

    @property
    def template(self) -> dict[str, Any]:
        return self.templates[self.stack_name]

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{self.stack_name}.template.json"


def synthesize(outdir: str | Path, context: dict[str, Any] | None = None) -> SynthResult:
    """Synthesize into ``outdir``. A nag failure does not raise: its findings are in the result."""
    started = time.perf_counter()
    from infra.app import VALIDATION_FAILED, build_app

    out = Path(outdir)
    app, stack = build_app(context, str(out))
    try:
        app.synth()
    except RuntimeError as error:
        if VALIDATION_FAILED not in str(error):
            raise
    seconds = time.perf_counter() - started
    templates = {
        path.name.removesuffix(".template.json"): json.loads(path.read_text()) for path in out.glob("*.template.json")
    }
    return SynthResult(out, stack.stack_name, templates, seconds, _findings(out / "validation-report.json"))


def _findings(report: Path) -> list[Finding]:
    if not report.exists():
        return []
    found = []
    for plugin in json.loads(report.read_text()).get("pluginReports", []):
        for violation in plugin.get("violations", []):
            found.append(
                Finding(
                    rule=violation["ruleName"],
                    description=violation.get("description", ""),
                    severity=violation.get("severity", ""),
                    paths=tuple(c["constructPath"] for c in violation.get("violatingConstructs", [])),
                )
            )
    return found
