"""A function's name says where its code is (catalog/functions.py): a newcomer who reads a name in a state machine,
a log or the console finds the file without searching."""

from __future__ import annotations

import importlib

import pytest

from catalog.functions import CATALOG, name_for_handler


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_every_function_is_named_after_its_module(spec):
    assert spec.name == name_for_handler(spec.handler)


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_every_handler_exists(spec):
    module, function = spec.handler.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), function))


@pytest.mark.parametrize(
    ("handler", "name"),
    [
        ("services.loan.intake.handler", "loan-intake"),
        ("services.loan.credit.report_handler", "loan-credit-report"),
        ("services.training.screen_request.handler", "training-screen-request"),
        ("services.simulated.loan_fraud_service.handler", "loan-fraud-service"),
        ("durable.training_enrollment.handler.handler", "training-enrollment"),
        ("services.api.handler.handler", "duoflow-api"),
    ],
)
def test_the_naming_rule(handler, name):
    assert name_for_handler(handler) == name
