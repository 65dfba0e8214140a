"""Uploads: an object created in a bucket starts a workflow (S3 → EventBridge → the routed function's alias).

One EventBridge rule per catalog/resources.py UPLOAD_RULES entry: source aws.s3, detail-type "Object Created",
the bucket, the key prefix. The target is the function's ``live`` alias, invoked asynchronously by EventBridge;
the function starts the configured workflow variant, named after the object, so a repeated event starts nothing.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from catalog import deployment
from infra.functions import WorkflowFunctions
from infra.storage import Storage


def upload_sources() -> dict[str, list[tuple[str, str]]]:
    """function name -> the (bucket, key prefix) pairs whose uploads invoke it."""
    sources: dict[str, list[tuple[str, str]]] = {}
    for rule in deployment.upload_rules():
        sources.setdefault(rule.function, []).append((rule.bucket, rule.prefix))
    return sources


class Uploads(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, storage: Storage, functions: WorkflowFunctions) -> None:
        super().__init__(scope, construct_id)
        self.rules: list[events.Rule] = []
        for rule in deployment.upload_rules():
            if rule.bucket not in storage.buckets:
                raise KeyError(f"catalog/resources.py UPLOAD_RULES: no bucket {rule.bucket!r} is declared")
            if rule.function not in functions.aliases:
                raise KeyError(f"catalog/resources.py UPLOAD_RULES: no function {rule.function!r} in the catalog")
            bucket = storage.buckets[rule.bucket]
            self.rules.append(
                events.Rule(
                    self,
                    f"{rule.bucket}-{rule.function}",
                    description=f"objects created in {rule.bucket} under {rule.prefix} invoke {rule.function}",
                    event_pattern=events.EventPattern(
                        source=["aws.s3"],
                        detail_type=["Object Created"],
                        detail={"bucket": {"name": [bucket.bucket_name]}, "object": {"key": [{"prefix": rule.prefix}]}},
                    ),
                    targets=[
                        targets.LambdaFunction(
                            functions.aliases[rule.function], retry_attempts=8, max_event_age=Duration.hours(2)
                        )
                    ],
                )
            )
