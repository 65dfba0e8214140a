"""Traces (services/common/tracing.py): in a Lambda environment with the X-Ray SDK, every handler's segment carries
the correlation id and no applicant data; locally, and wherever the SDK is missing, nothing is traced and the SDK
is not imported. Each case runs in a fresh interpreter: the X-Ray SDK and Powertools' Tracer keep global state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HANDLER = """
import json, sys
from services.common.log import at, logged
from services.common.tracing import traced

@logged(at("application_id"))
def handler(event, context):
    return event  # an application, SIN digits and income included

class Context:
    function_name = "loan-intake"
    aws_request_id = "request-1"

def plain(event, context):
    return None

answer = handler({"application_id": "app-7", "sin_last4": "4321", "annual_income": 98765}, Context())
"""

CAPTURE = """
import json
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter

sent = []

class Capture(UDPEmitter):  # the SDK's emitter, keeping what it would send to the daemon
    def send_entity(self, entity):
        sent.append(json.loads(entity.serialize()))

xray_recorder.configure(emitter=Capture(), streaming_threshold=0)
"""

REPORT = """
print(json.dumps({
    "sent": globals().get("sent", []),
    "identity": traced(plain) is plain,
    "sdk_imported": "aws_xray_sdk" in sys.modules,
}))
"""

HIDE_SDK = """
import importlib.abc, sys

class NoXRay(importlib.abc.MetaPathFinder):  # as if the X-Ray SDK were not installed
    def find_spec(self, name, path=None, target=None):
        if name == "aws_xray_sdk" or name.startswith("aws_xray_sdk."):
            raise ModuleNotFoundError(name)
        return None

sys.meta_path.insert(0, NoXRay())
"""

LAMBDA = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "loan-intake",
    "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
}


def run(script: str, **environment: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "POWERTOOLS_TRACE_DISABLED"}
    env.update(environment, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_in_lambda_each_invocation_is_a_segment_annotated_with_the_correlation_id_and_nothing_about_the_applicant():
    report = run(CAPTURE + HANDLER + REPORT, **LAMBDA)
    [segment] = report["sent"]
    assert segment["name"] == "## handler" and segment["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert segment["annotations"]["correlation_id"] == "app-7"
    assert "4321" not in json.dumps(segment) and "98765" not in json.dumps(segment)


def test_locally_the_runtime_turns_tracing_off_and_the_handler_is_left_as_it_is():
    report = run(HANDLER + REPORT, POWERTOOLS_TRACE_DISABLED="true", **LAMBDA)
    assert report == {"sent": [], "identity": True, "sdk_imported": False}


def test_without_the_x_ray_sdk_nothing_is_traced_and_nothing_missing_is_imported():
    report = run(HIDE_SDK + HANDLER + REPORT, **LAMBDA)
    assert report == {"sent": [], "identity": True, "sdk_imported": False}
