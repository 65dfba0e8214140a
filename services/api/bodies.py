"""A request's body as JSON, within the limits of domain/validation.py — the one reader every route uses."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from domain.validation import FieldError, InputInvalid, read_json_body


def json_body(event: APIGatewayProxyEventV2) -> Any:
    """The body as JSON values, or :class:`InputInvalid` naming ``body`` (API Gateway may send it base64)."""
    body: bytes | str | None = event.body
    if event.is_base64_encoded and body:
        try:
            body = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InputInvalid([FieldError("body", "must be valid base64 when marked so")]) from None
    return read_json_body(body)
