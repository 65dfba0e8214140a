"""cdk-nag's AwsSolutions checks, and the one way this app acknowledges a finding.

Every acknowledgment sits next to the construct it concerns (``acknowledge(construct, ...)``), names the rule,
the finding when the rule reports several (an IAM5 wildcard resource), and the reason. cdk-nag 3 runs as a CDK
policy-validation plugin: an unacknowledged finding fails the synth and is listed in validation-report.json.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Annotations, App, Validations
from constructs import IConstruct

PACK = "AwsSolutions"


def acknowledge(construct: IConstruct, rule: str, reason: str, finding: str | None = None) -> None:
    """``rule``: "IAM5"; ``finding``: "Resource::arn:..." for rules that report one finding per value."""
    rule_id = f"{PACK}-{rule}" + (f"[{finding}]" if finding else "")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledge_info(construct: IConstruct, annotation: str, reason: str) -> None:
    """An informational CDK annotation (not a cdk-nag rule), e.g. ``aws-lambda:Function.DurableConfig``."""
    Annotations.of(construct).acknowledge_info(annotation, reason)


def add_checks(app: App) -> None:
    from cdk_nag import AwsSolutionsChecks  # imported here: synth without checks does not load the pack

    # The acknowledgments are written into the template (Metadata cdk_nag), where reviewers and tests read them.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True))
