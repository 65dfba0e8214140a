"""The embedded local runtime (see runtime.py)."""

from duoflow.runtime.functions import FunctionSpec, ResourceRef
from duoflow.runtime.runtime import LocalRuntime, asl_with_placeholders
from duoflow.runtime.time_control import TimeControl

__all__ = ["FunctionSpec", "LocalRuntime", "ResourceRef", "TimeControl", "asl_with_placeholders"]
