"""The three ways each scenario runs, declared once: the API, the training upload, the tool and its CLI read this.

    sfn      pure Step Functions: one ASL state machine, every business step a plain Lambda task
    durable  pure durable function: one durable Lambda runs the whole process in Python
    hybrid   an ASL state machine runs the macro flow; its Task states call durable Lambdas for the micro flow

What each variant runs, per scenario, is in duoflow/variants.py.
"""

from __future__ import annotations

from typing import Literal

from domain.validation import FieldError

Variant = Literal["hybrid", "sfn", "durable"]
VARIANTS: tuple[Variant, ...] = ("hybrid", "sfn", "durable")  # the order a request's error message lists them in
DEFAULT_VARIANT = "hybrid"


def variant_error(variant: object) -> FieldError | None:
    """The error of a variant that is not one of :data:`VARIANTS`, or None."""
    return None if variant in VARIANTS else FieldError("variant", f"must be one of {', '.join(VARIANTS)}")
