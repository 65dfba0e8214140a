"""Environment differences, read from CDK context (cdk.json, or ``cdk synth -c key=value``), checked once.

| key | default | what it changes |
|---|---|---|
| stage | dev | the stack name (duoflow-<stage>) and the prefix of every function and state machine name |
| architecture | arm64 | the Lambda architecture (arm64 or x86_64) and the wheels bundled for it |
| bedrock_model_id | services/scorer's default | the model the training screening calls; its IAM grant names only this model |
| bundle_dependencies | true | false: the code asset holds only the project's sources (tests, a quick look at the template) |
| log_execution_data | false | true: state machine logs include inputs and outputs (applicants' personal data) |
| retain_data | false | true: tables and buckets survive ``cdk destroy`` |
| nag | true | false: skip the cdk-nag AwsSolutions checks during synth |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.scorer.bedrock import DEFAULT_MODEL_ID

ARCHITECTURES = ("arm64", "x86_64")
DEFAULTS: dict[str, Any] = {
    "stage": "dev",
    "architecture": "arm64",
    "bedrock_model_id": DEFAULT_MODEL_ID,
    "bundle_dependencies": True,
    "log_execution_data": False,
    "retain_data": False,
    "nag": True,
}
_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,11}$")
_MODEL_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._:-]{2,127}$")


class SettingError(ValueError):
    """A context value breaks its rule; the message names the key, the value and the rule."""


@dataclass(frozen=True)
class Settings:
    stage: str
    architecture: str
    bedrock_model_id: str
    bundle_dependencies: bool
    log_execution_data: bool
    retain_data: bool
    nag: bool

    @property
    def stack_name(self) -> str:
        return f"duoflow-{self.stage}"

    def physical_name(self, logical_name: str) -> str:
        """The AWS name of a function or state machine: duoflow-<stage>-<catalog name without 'duoflow-'>."""
        return f"{self.stack_name}-{logical_name.removeprefix('duoflow-')}"

    @classmethod
    def from_context(cls, get: Mapping[str, Any] | Any) -> Settings:
        """``get``: a mapping, or anything with ``try_get_context`` (a CDK App or Node)."""
        lookup = get.try_get_context if hasattr(get, "try_get_context") else get.get

        def value(key: str) -> Any:
            found = lookup(key)
            return DEFAULTS[key] if found is None else found

        stage = str(value("stage"))
        if not _STAGE.match(stage):
            raise SettingError(
                f"context stage={stage!r}: must start with a lowercase letter and hold at most 12 lowercase "
                "letters, digits or dashes (it prefixes every function name, which AWS caps at 64 characters)"
            )
        architecture = str(value("architecture"))
        if architecture not in ARCHITECTURES:
            raise SettingError(f"context architecture={architecture!r}: must be one of {', '.join(ARCHITECTURES)}")
        model = str(value("bedrock_model_id"))
        if not _MODEL_ID.match(model):
            raise SettingError(
                f"context bedrock_model_id={model!r}: must be a Bedrock model id such as amazon.nova-micro-v1:0 "
                "(letters, digits, '.', '_', ':', '-')"
            )
        return cls(
            stage=stage,
            architecture=architecture,
            bedrock_model_id=model,
            bundle_dependencies=_flag("bundle_dependencies", value("bundle_dependencies")),
            log_execution_data=_flag("log_execution_data", value("log_execution_data")),
            retain_data=_flag("retain_data", value("retain_data")),
            nag=_flag("nag", value("nag")),
        )


def _flag(key: str, raw: Any) -> bool:
    """Context from the command line arrives as text: ``-c nag=false``."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise SettingError(f"context {key}={raw!r}: must be true or false")
