"""The one scrubber every console endpoint's answer goes through before it reaches a browser.

* Task tokens and durable callback ids are never sent, to anyone: whoever holds one can answer the workflow
  (approve a loan) without the API's role check. Keys that carry them (``TaskToken``, ``task_token``,
  ``CallbackId``, ``callbackId``, ...) are dropped, and a value that equals one (or contains one) elsewhere
  is replaced with ``"redacted"``.
* The applicant's personal figures (``sin_last4``, ``annual_income``) are replaced with ``"redacted"`` unless
  the viewer may see them (the managers role).

Both apply at any depth, including JSON text nested in a value (history event parameters, Lambda payloads,
causes): such text is parsed, scrubbed and written back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

REDACTED = "redacted"
SECRET_KEYS = frozenset({"tasktoken", "callbackid"})  # compared lowercased, without "_" and "-"
PERSONAL_KEYS = frozenset({"sin_last4", "annual_income"})
# A secret at least this long is also looked for inside longer text (a cause that quotes a token).
SEARCHED_LENGTH = 16


def scrub(value: Any, *, personal: bool, secrets: Iterable[str] = ()) -> Any:
    """``value`` without secrets (and without personal figures unless ``personal``). ``secrets``: values known
    to be task tokens or callback ids (read from the execution's history); those found in ``value`` itself
    under a secret key are added."""
    known = {secret for secret in (*secrets, *secrets_in(value)) if secret}
    searched = sorted((secret for secret in known if len(secret) >= SEARCHED_LENGTH), key=len, reverse=True)

    def clean(item: Any) -> Any:
        if isinstance(item, dict):
            cleaned = {}
            for key, inner in item.items():
                if _is_secret_key(key):
                    continue
                if not personal and key in PERSONAL_KEYS and inner is not None:
                    cleaned[key] = REDACTED
                else:
                    cleaned[key] = clean(inner)
            return cleaned
        if isinstance(item, list):
            return [clean(inner) for inner in item]
        if isinstance(item, str):
            nested = _nested_json(item)
            if nested is not None:
                cleaned_nested = clean(nested)
                return item if cleaned_nested == nested else json.dumps(cleaned_nested, ensure_ascii=False)
            if item in known:
                return REDACTED
            for secret in searched:
                if secret in item:
                    item = item.replace(secret, REDACTED)
            return item
        return item

    return clean(value)


def secrets_in(value: Any) -> set[str]:
    """Every string held under a secret key in ``value``, at any depth (nested JSON text included)."""
    found: set[str] = set()

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            for key, inner in item.items():
                if _is_secret_key(key) and isinstance(inner, str):
                    found.add(inner)
                walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)
        elif isinstance(item, str):
            nested = _nested_json(item)
            if nested is not None:
                walk(nested)

    walk(value)
    return found


def _is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and key.lower().replace("_", "").replace("-", "") in SECRET_KEYS


def _nested_json(text: str) -> dict[str, Any] | list[Any] | None:
    """The object or array ``text`` holds as JSON, or None."""
    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict | list) else None
