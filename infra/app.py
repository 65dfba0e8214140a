"""The CDK app: `cdk synth` and `cdk deploy` run this file (cdk.json); so can `python infra/app.py`.

It needs the project's virtualenv (aws-cdk-lib, and the project's own packages: the catalog, the state machine
specs, the routes), which is why cdk.json runs `.venv/bin/python infra/app.py`. No AWS call happens here: the
stack is environment-agnostic (account and region come from the deploying credentials), nothing is looked up.

Context (cdk.json, or `-c key=value`): see infra/config.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: infra/ is sys.path[0], the project root is not
    sys.path.insert(0, str(ROOT))

# jsii prints a page-wide banner on every run under Node 20 (end of life); the banner is not actionable here.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from typing import Any  # noqa: E402

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_lambda as lambda_  # noqa: E402

from infra.bundling import BundlingError, lambda_asset  # noqa: E402
from infra.config import SettingError, Settings  # noqa: E402
from infra.nag import add_checks  # noqa: E402
from infra.permissions import UnscopedAccess  # noqa: E402
from infra.references import UndeclaredResource  # noqa: E402
from infra.stack import DuoflowStack  # noqa: E402

# What stops a synth with a message for the person running it, not a stack trace.
USER_ERRORS = (SettingError, BundlingError, UnscopedAccess, UndeclaredResource)
VALIDATION_FAILED = "ValidationFailed"
# CDK feature flags, here rather than in cdk.json so an in-process synth (tests, benchmark) builds the same stack.
FEATURE_FLAGS = {
    # Server access logs are delivered under a bucket policy, not the legacy LogDeliveryWrite ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build_app(context: dict[str, Any] | None = None, outdir: str | None = None) -> tuple[cdk.App, DuoflowStack]:
    """The app and its one stack. ``context`` adds to cdk.json's (tests: ``{"bundle_dependencies": False}``)."""
    # CDK's built-in template validation roughly doubles the synth time; tests/infra runs cfn-lint instead,
    # which checks the same schema and more (it knows DurableConfig).
    app = cdk.App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir, builtin_cloud_formation_validation=False)
    settings = Settings.from_context(app.node)
    code = lambda_.Code.from_asset(str(lambda_asset(settings.architecture, settings.bundle_dependencies)))
    stack = DuoflowStack(app, settings.stack_name, settings=settings, code=code)
    if settings.nag:
        add_checks(app)
    return app, stack


def main() -> int:
    try:
        app, _ = build_app()
        app.synth()
    except USER_ERRORS as error:
        print(f"duoflow infra: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        if VALIDATION_FAILED not in str(error):
            raise
        print(
            "duoflow infra: cdk-nag found findings nobody acknowledged (listed above; the full report is "
            "validation-report.json in the output directory)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
