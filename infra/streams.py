"""Table streams: every change to a table invokes the routed function (DynamoDB Streams → an event source mapping
on the function's ``live`` alias), one mapping per catalog/resources.py STREAM_RULES entry.

The audit trails' streams feed the business metrics (services/metrics/audit_trail.py): new and old images, so the
function sees what a change changed. A failing batch is split to find the record that fails and retried three
times; the metrics are counted at least once, as the function's docstring says.
"""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from catalog import deployment
from infra.functions import WorkflowFunctions
from infra.storage import Storage


class Streams(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, storage: Storage, functions: WorkflowFunctions) -> None:
        super().__init__(scope, construct_id)
        for rule in deployment.stream_rules():
            if rule.table not in storage.tables:
                raise KeyError(f"catalog/resources.py STREAM_RULES: no table {rule.table!r} is declared")
            if rule.function not in functions.aliases:
                raise KeyError(f"catalog/resources.py STREAM_RULES: no function {rule.function!r} in the catalog")
            functions.aliases[rule.function].add_event_source(
                sources.DynamoEventSource(
                    storage.tables[rule.table],
                    starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                    batch_size=100,
                    bisect_batch_on_error=True,
                    retry_attempts=3,
                )
            )
