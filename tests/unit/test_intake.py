"""The intake step refuses to start a workflow without an application id: the workflow keys its progress log,
audit trail and failure status on the id it was started with."""

import pytest

from domain.loan.validation import ApplicationInvalid, FieldError
from services.loan.intake import handler


@pytest.mark.parametrize("event", [{"applicant_name": "Ann"}, [], None], ids=["no id", "a list", "nothing"])
def test_an_input_without_application_id_is_invalid(event):
    with pytest.raises(ApplicationInvalid) as refused:
        handler(event, None)
    assert refused.value.errors == [FieldError("application_id", "is required to start the workflow")]
