"""Deliberate delays in simulated services (the fraud service "thinks" for 5 s in the seed).

On the local runtime DUOFLOW_TIME_SCALE shrinks them with every other modelled duration; in AWS it is
unset and the delay is real.
"""

from __future__ import annotations

import os
import time


def simulated_delay(modelled_seconds: float) -> None:
    time.sleep(max(modelled_seconds, 0) * float(os.environ.get("DUOFLOW_TIME_SCALE", "1")))
