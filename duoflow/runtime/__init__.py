"""The embedded local runtime (see runtime.py). It runs what catalog/ declares; ``FunctionSpec`` and ``ResourceRef``
are catalog/specs.py's, named here too because the runtime's API takes them."""

from catalog.specs import FunctionSpec, ResourceRef
from duoflow.runtime.runtime import LocalRuntime
from duoflow.runtime.time_control import TimeControl

__all__ = ["FunctionSpec", "LocalRuntime", "ResourceRef", "TimeControl"]
