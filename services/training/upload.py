"""Function "training-upload": an employee's request document landed in the requests bucket; start its workflow.

In AWS an EventBridge rule sends the bucket's "Object Created" events for keys under ``requests/`` here; the
local runtime delivers the same events (duoflow/runtime/s3_events.py). The object key names the request
(``requests/<id>.json`` → ``<id>``) and the workflow execution, so the same key uploaded twice starts one
workflow. A document that breaks a rule is recorded as rejected-invalid with every field error, and nothing is
started.

TRAINING_VARIANT (sfn | durable | hybrid) chooses the orchestrator; an upload's own ``variant`` metadata
(``x-amz-meta-variant``) overrides it for that document, so one deployment can run all three side by side.
"""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.exceptions import ClientError

from domain.training.validation import FieldError, RequestInvalid, request_id_from_key, validate_request
from services.common.bootstrap import adapters, setting
from services.common.progress import ProgressEntry
from services.training.results import result_key

REQUESTS_PREFIX = "requests/"
VARIANTS = ("hybrid", "sfn", "durable")
DEFAULT_VARIANT = "hybrid"
MAX_DOCUMENT_BYTES = 64 * 1024
# variant -> the setting naming what starts it
STATE_MACHINE_SETTINGS = {"hybrid": "TRAINING_HYBRID_STATE_MACHINE_ARN", "sfn": "TRAINING_SFN_STATE_MACHINE_ARN"}
DURABLE_FUNCTION_SETTING = "TRAINING_WORKFLOW_FUNCTION"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An EventBridge "Object Created" event from S3 (source aws.s3)."""
    detail = event.get("detail") or {}
    return start_from_upload(detail["bucket"]["name"], detail["object"]["key"], detail["object"].get("version-id"))


def start_from_upload(bucket: str, key: str, version_id: str | None = None) -> dict[str, Any]:
    """Start the workflow for the document at ``bucket``/``key``: {"request_id", "status", ...}."""
    source = {"bucket": bucket, "key": key, **({"version_id": version_id} if version_id else {})}
    try:
        request_id = request_id_from_key(key, REQUESTS_PREFIX)
    except RequestInvalid as invalid:
        # No id to record it under: the key is the only name the uploader knows.
        return _reject(key, source, invalid)
    try:
        document, metadata = _read(bucket, key, version_id)
        request = validate_request(document, request_id)
    except RequestInvalid as invalid:
        return _reject(request_id, source, invalid)
    variant = (metadata.get("variant") or os.environ.get("TRAINING_VARIANT") or DEFAULT_VARIANT).strip().lower()
    if variant not in VARIANTS:
        return _reject(
            request_id, source, RequestInvalid([FieldError("variant", f"must be one of {', '.join(VARIANTS)}")])
        )
    current = adapters().training.status(request.request_id)
    if current is not None and current.get("status") != "rejected-invalid":
        # A workflow (perhaps of another variant) already has this request; its orchestrator's name check
        # catches two uploads that race past this look.
        return {"request_id": request.request_id, "variant": variant, "status": "already started"}
    payload = json.dumps(
        {
            "request_id": request.request_id,
            "document": request.model_dump(mode="json", exclude={"request_id"}),
            "source": source,
        }
    )
    started = _start(variant, request.request_id, payload)
    return {"request_id": request.request_id, "variant": variant, **started}


def _read(bucket: str, key: str, version_id: str | None) -> tuple[Any, dict[str, str]]:
    try:
        found = adapters().s3_client.get_object(
            Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {})
        )
    except ClientError as error:
        raise RequestInvalid(
            [FieldError("document", f"could not be read ({error.response['Error']['Code']})")]
        ) from None
    if found.get("ContentLength", 0) > MAX_DOCUMENT_BYTES:
        raise RequestInvalid([FieldError("document", f"must be at most {MAX_DOCUMENT_BYTES // 1024} KB")])
    body = found["Body"].read()
    try:
        return json.loads(body), {k.lower(): v for k, v in (found.get("Metadata") or {}).items()}
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RequestInvalid([FieldError("document", "must be valid JSON")]) from None


def _reject(request_id: str, source: dict[str, str], invalid: RequestInvalid) -> dict[str, Any]:
    """Records the rejection (status, audit entry, result file) unless a workflow already owns this request."""
    log = adapters().training
    current = log.status(request_id)
    if current is not None and current.get("status") != "rejected-invalid":
        return {"request_id": request_id, "status": "ignored", "reason": "a workflow already runs for this request"}
    reason = f"invalid document: {invalid}"
    log.set_status(
        request_id, status="rejected-invalid", outcome="rejected-invalid", reason=reason, errors=invalid.as_json()
    )
    log.record(
        request_id,
        ProgressEntry(
            "upload-rejected",
            step="upload",
            message=f"{reason} (s3://{source['bucket']}/{source['key']})",
            level="warning",
        ),
    )
    document = {
        "request_id": request_id,
        "decision": "rejected",
        "outcome": "rejected-invalid",
        "reason": reason,
        "errors": invalid.as_json(),
        "source": source,
    }
    adapters().s3_client.put_object(
        Bucket=setting("RESULTS_BUCKET"),
        Key=result_key(request_id) if "/" not in request_id else result_key(request_id.replace("/", "_")),
        Body=json.dumps(document, indent=2).encode(),
        ContentType="application/json",
    )
    return {"request_id": request_id, "status": "rejected-invalid", "errors": invalid.as_json()}


def _start(variant: str, request_id: str, payload: str) -> dict[str, Any]:
    clients = adapters()
    if variant in STATE_MACHINE_SETTINGS:
        sfn = clients.sfn_client
        try:
            execution = sfn.start_execution(
                stateMachineArn=setting(STATE_MACHINE_SETTINGS[variant]), name=request_id, input=payload
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return {"status": "already started"}
            raise
        return {"status": "started", "execution_arn": execution["executionArn"]}
    lambda_client = clients.lambda_client
    try:
        response = lambda_client.invoke(
            FunctionName=setting(DURABLE_FUNCTION_SETTING),
            InvocationType="Event",
            DurableExecutionName=request_id,
            Payload=payload,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "DurableExecutionAlreadyStartedException":
            return {"status": "already started"}
        raise
    return {"status": "started", "durable_execution_arn": response.get("DurableExecutionArn")}
