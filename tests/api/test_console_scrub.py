"""The console's one scrubber (duoflow/console/scrub.py), without a runtime: secrets out for everyone, personal
figures out unless the viewer may see them, at any depth and inside JSON text."""

from __future__ import annotations

import json

from duoflow.console.scrub import REDACTED, scrub, secrets_in

TOKEN = "49e705df-edb5-42b9-a7e5-048b777eedb2"
CALLBACK = "eyJhcm4iOiJjYTYyYzVhZC05NTVkLTQ1OWIt"
APPLICATION = {"applicant_name": "Alice Johnson", "sin_last4": "1111", "annual_income": 180000, "loan_amount": 150000}
# A history event as Step Functions writes it: parameters are JSON text, whose Payload is JSON text again.
EVENT = {
    "type": "TaskScheduled",
    "parameters": json.dumps({"Payload": json.dumps({"task_token": TOKEN, "application": APPLICATION})}),
}


def test_secret_keys_are_dropped_in_every_spelling_for_every_viewer():
    value = {
        "TaskToken": TOKEN,
        "taskToken": TOKEN,
        "task_token": TOKEN,
        "CallbackId": CALLBACK,
        "callbackId": CALLBACK,
        "callback_id": CALLBACK,
        "kept": 1,
    }
    for personal in (True, False):
        assert scrub(value, personal=personal) == {"kept": 1}


def test_a_value_equal_to_a_secret_is_redacted_wherever_it_is():
    value = {
        "op": {"callbackId": CALLBACK},
        "elsewhere": [CALLBACK, f"callback {CALLBACK} timed out"],
        "from_history": TOKEN,
    }
    assert scrub(value, personal=True, secrets={TOKEN}) == {
        "op": {},
        "elsewhere": [REDACTED, f"callback {REDACTED} timed out"],
        "from_history": REDACTED,
    }


def test_personal_figures_are_redacted_unless_the_viewer_may_see_them():
    value = {"input": {"application": APPLICATION}, "empty": {"sin_last4": None}}
    shown = scrub(value, personal=False)
    assert shown["input"]["application"] == {**APPLICATION, "sin_last4": REDACTED, "annual_income": REDACTED}
    assert shown["empty"] == {"sin_last4": None}
    assert scrub(value, personal=True) == value


def test_json_text_nested_in_json_text_is_scrubbed_and_written_back():
    shown = scrub({"events": [EVENT]}, personal=False)
    parameters = json.loads(shown["events"][0]["parameters"])
    payload = json.loads(parameters["Payload"])
    assert payload == {"application": {**APPLICATION, "sin_last4": REDACTED, "annual_income": REDACTED}}
    assert TOKEN not in json.dumps(shown)
    untouched = {"cause": json.dumps({"error": "x"}), "text": "{not json", "number": 3}
    assert scrub(untouched, personal=False) == untouched  # nothing to take out: the same text, byte for byte


def test_secrets_are_found_at_any_depth():
    assert secrets_in([EVENT, {"details": {"CallbackId": CALLBACK}}]) == {TOKEN, CALLBACK}
    assert secrets_in({"TaskToken.$": "$$.Task.Token"}) == set()  # an ASL field reading the token is no secret
