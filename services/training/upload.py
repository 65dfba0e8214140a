"""Function "training-upload": an employee's request document landed in the requests bucket; start its workflow.

In AWS an EventBridge rule sends the bucket's "Object Created" events for keys under ``requests/`` here; the
local runtime delivers the same events (duoflow/runtime/s3_events.py). The object key names the request
(``requests/<id>.json`` → ``<id>``) and the workflow execution, and the request id is bound to one workflow
whatever variant an upload asks for (services/common/one_workflow.py): the same document uploaded again starts
nothing new, and another document or variant under an id that has a workflow is ignored, with a warning in that
request's audit trail. A document that breaks a rule is recorded as rejected-invalid with every field error, and
nothing is started.

TRAINING_VARIANT (sfn | durable | hybrid) chooses the orchestrator; an upload's own ``variant`` metadata
(``x-amz-meta-variant``) overrides it for that document, so one deployment can run all three side by side.
"""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.exceptions import ClientError

from domain.training.validation import FieldError, RequestInvalid, request_id_from_key, validate_request
from domain.validation import MAX_BODY_BYTES, BodyTooLarge, InputInvalid, read_json_body
from services.common.bootstrap import Adapters, setting, wired
from services.common.log import logged, logger
from services.common.one_workflow import IdAlreadyBound, bind, fingerprint, start_named
from services.common.progress import ProgressEntry
from services.common.variants import DEFAULT_VARIANT, variant_error
from services.training.result import result_key

REQUESTS_PREFIX = "requests/"
WHAT = "training request"
# variant -> the setting naming what starts it
STATE_MACHINE_SETTINGS = {"hybrid": "TRAINING_HYBRID_STATE_MACHINE_ARN", "sfn": "TRAINING_SFN_STATE_MACHINE_ARN"}
DURABLE_FUNCTION_SETTING = "TRAINING_WORKFLOW_FUNCTION"


def _request_id_of(event: dict[str, Any]) -> str | None:
    try:
        return request_id_from_key(event["detail"]["object"]["key"], REQUESTS_PREFIX)
    except RequestInvalid:
        return None


@logged(_request_id_of)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An EventBridge "Object Created" event from S3 (source aws.s3)."""
    detail = event.get("detail") or {}
    return start_from_upload(
        wired(), detail["bucket"]["name"], detail["object"]["key"], detail["object"].get("version-id")
    )


def start_from_upload(adapters: Adapters, bucket: str, key: str, version_id: str | None = None) -> dict[str, Any]:
    """Start the workflow for the document at ``bucket``/``key``: {"request_id", "status", ...}."""
    source = {"bucket": bucket, "key": key, **({"version_id": version_id} if version_id else {})}
    try:
        request_id = request_id_from_key(key, REQUESTS_PREFIX)
    except RequestInvalid as invalid:
        # No id to record it under: the key is the only name the uploader knows.
        return _reject(adapters, key, source, invalid)
    try:
        document, metadata = _read(adapters, bucket, key, version_id)
        request = validate_request(document, request_id)
    except RequestInvalid as invalid:
        return _reject(adapters, request_id, source, invalid)
    variant = (metadata.get("variant") or os.environ.get("TRAINING_VARIANT") or DEFAULT_VARIANT).strip().lower()
    if error := variant_error(variant):
        return _reject(adapters, request_id, source, RequestInvalid([error]))
    logger.thread_safe_append_keys(variant=variant)  # the rest of this invocation's lines name it
    log = adapters.training
    document = request.model_dump(mode="json", exclude={"request_id"})
    try:
        bound = bind(log, WHAT, request.request_id, variant, document)
    except IdAlreadyBound as taken:
        log.record(
            request.request_id,
            ProgressEntry(
                f"upload-ignored-{variant}-{fingerprint(document)[:12]}",
                step="upload",
                message=f"upload ignored (s3://{bucket}/{key}): {taken}",
                level="warning",
            ),
        )
        return {"request_id": request.request_id, "variant": variant, "status": "ignored", "reason": str(taken)}
    if bound is not None and bound.execution_arn:
        return {"request_id": request.request_id, "variant": variant, "status": "already started"}
    payload = json.dumps({"request_id": request.request_id, "document": document, "source": source})
    if variant in STATE_MACHINE_SETTINGS:
        execution_arn = start_named(
            adapters, request.request_id, payload, state_machine_arn=setting(STATE_MACHINE_SETTINGS[variant])
        )
    else:
        execution_arn = start_named(
            adapters, request.request_id, payload, durable_function=setting(DURABLE_FUNCTION_SETTING)
        )
    log.note_workflow_execution(request.request_id, execution_arn)
    return {
        "request_id": request.request_id,
        "variant": variant,
        "status": "started" if bound is None else "already started",
        "execution_arn": execution_arn,
    }


def _read(adapters: Adapters, bucket: str, key: str, version_id: str | None) -> tuple[Any, dict[str, str]]:
    try:
        found = adapters.s3_client.get_object(
            Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {})
        )
    except ClientError as error:
        raise RequestInvalid(
            [FieldError("document", f"could not be read ({error.response['Error']['Code']})")]
        ) from None
    metadata = {k.lower(): v for k, v in (found.get("Metadata") or {}).items()}
    try:
        if found.get("ContentLength", 0) > MAX_BODY_BYTES:  # refused before it is read
            raise BodyTooLarge(found["ContentLength"])
        return read_json_body(found["Body"].read()), metadata
    except InputInvalid as invalid:  # the body's rules, named after what an upload calls it
        raise RequestInvalid([FieldError("document", error.rule) for error in invalid.errors]) from None


def _reject(adapters: Adapters, request_id: str, source: dict[str, str], invalid: RequestInvalid) -> dict[str, Any]:
    """Records the rejection (status, audit entry, result file) unless a workflow already owns this request."""
    log = adapters.training
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
    adapters.s3_client.put_object(
        Bucket=setting("RESULTS_BUCKET"),
        Key=result_key(request_id) if "/" not in request_id else result_key(request_id.replace("/", "_")),
        Body=json.dumps(document, indent=2).encode(),
        ContentType="application/json",
    )
    return {"request_id": request_id, "status": "rejected-invalid", "errors": invalid.as_json()}
