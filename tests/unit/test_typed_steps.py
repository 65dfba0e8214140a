"""durable/typed_steps.py: a step's model is checkpointed as its JSON and comes back as the same model; a checkpoint
written by the SDK's own serializer before the flows were typed is still read (an execution in flight across the
upgrade resumes). These lean on the SDK's SerDes and BatchResult: a pinned-version change that moves them fails
here."""

from __future__ import annotations

import json

from aws_durable_execution_sdk_python.concurrency.models import (
    BatchItem,
    BatchItemStatus,
    BatchResult,
    CompletionReason,
)
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes, SerDesContext

from domain.loan.models import BureauReport, LoanApplication
from domain.validation import FieldError
from durable.typed_steps import BatchOfModels, ModelSerDes

CONTEXT = SerDesContext(operation_id="op-1", durable_execution_arn="arn")
REPORT = BureauReport(bureau="equifax", credit_score=712, derogatory_marks=0, monthly_debt_payments=480.0)
APPLICATION = LoanApplication(
    application_id="app-1",
    applicant_name="Charlie",
    sin_last4="3333",
    annual_income=85_000.0,
    loan_amount=25_000.0,
    loan_purpose="car",
)


def test_a_model_is_checkpointed_as_its_json_and_comes_back_as_the_model():
    serdes = ModelSerDes(BureauReport)

    data = serdes.serialize(REPORT, CONTEXT)

    assert json.loads(data) == REPORT.model_dump(mode="json")
    assert serdes.deserialize(data, CONTEXT) == REPORT


def test_an_answer_or_the_rules_it_breaks_come_back_as_what_they_were():
    serdes = ModelSerDes(LoanApplication | list[FieldError])
    errors = [FieldError("sin_last4", "must be exactly 4 digits")]

    assert serdes.deserialize(serdes.serialize(APPLICATION, CONTEXT), CONTEXT) == APPLICATION
    assert serdes.deserialize(serdes.serialize(errors, CONTEXT), CONTEXT) == errors


def test_a_step_without_a_result_checkpoints_null():
    serdes = ModelSerDes(None)

    assert serdes.serialize(None, CONTEXT) == "null"
    assert serdes.deserialize("null", CONTEXT) is None


def test_a_checkpoint_written_before_the_flows_were_typed_is_still_read():
    written_then = ExtendedTypeSerDes().serialize(REPORT.model_dump(mode="json"), CONTEXT)
    assert json.loads(written_then).keys() == {"t", "v"}  # the SDK's envelope, as the old flows wrote it

    assert ModelSerDes(BureauReport).deserialize(written_then, CONTEXT) == REPORT


def test_an_answer_the_untyped_flows_wrapped_in_a_one_key_dict_is_still_read():
    serdes = ModelSerDes(LoanApplication | list[FieldError])
    application_then = ExtendedTypeSerDes().serialize({"application": APPLICATION.model_dump(mode="json")}, CONTEXT)
    refused_then = ExtendedTypeSerDes().serialize({"invalid": [{"field": "sin_last4", "rule": "is required"}]}, CONTEXT)

    assert serdes.deserialize(application_then, CONTEXT) == APPLICATION
    assert serdes.deserialize(refused_then, CONTEXT) == [FieldError("sin_last4", "is required")]


def batch_of(*results: BureauReport | None) -> BatchResult:
    items = [
        BatchItem(index, BatchItemStatus.SUCCEEDED if result else BatchItemStatus.FAILED, result)
        for index, result in enumerate(results)
    ]
    return BatchResult(items, CompletionReason.ALL_COMPLETED)


def test_a_parallels_results_are_checkpointed_as_json_and_come_back_as_models():
    serdes = BatchOfModels(BureauReport)
    batch = batch_of(REPORT, None)

    data = serdes.serialize(batch, CONTEXT)
    back = serdes.deserialize(data, CONTEXT)

    assert json.loads(data)["all"][0]["result"] == REPORT.model_dump(mode="json")
    assert back.get_results() == [REPORT]
    assert [item.status for item in back.all] == [BatchItemStatus.SUCCEEDED, BatchItemStatus.FAILED]


def test_a_parallel_checkpointed_before_the_flows_were_typed_is_still_read():
    written_then = ExtendedTypeSerDes().serialize(
        BatchResult(
            [BatchItem(0, BatchItemStatus.SUCCEEDED, REPORT.model_dump(mode="json"))], CompletionReason.ALL_COMPLETED
        ),
        CONTEXT,
    )

    assert BatchOfModels(BureauReport).deserialize(written_then, CONTEXT).get_results() == [REPORT]
