"""The runtime's patches (duoflow/runtime/patches/): each module names pinned libraries, and a runtime's stop puts
every attribute its start replaced back to the library's own object. (Starts its own runtimes: does not use the
shared fixture.)"""

from __future__ import annotations

import pkgutil
from typing import Any

import pytest

from duoflow.runtime import patches, pins
from duoflow.runtime.patches._patching import Patcher, Target
from tests.runtime.conftest import start_runtime

# Each test starts and stops its own runtime.
pytestmark = pytest.mark.usefixtures("no_runtime_left_running")


def snapshot(targets: list[Target]) -> dict[Target, Any]:
    return {target: target.current() for target in targets}


def same(before: Any, after: Any) -> bool:
    """The very objects (for a URL map: the same entries, in the same order, with the very same values)."""
    if isinstance(before, list):
        return len(before) == len(after) and all(
            key == other_key and value is other_value
            for (key, value), (other_key, other_value) in zip(before, after, strict=True)
        )
    return before is after


def test_every_patch_module_names_the_pinned_libraries_it_hooks():
    found = {name for _, name, _ in pkgutil.iter_modules(patches.__path__) if not name.startswith("_")}
    assert found == {module.__name__.rsplit(".", 1)[1] for module in patches.MODULES}, "a module not installed"
    named = set()
    for module in patches.MODULES:
        if getattr(module, "STANDARD_LIBRARY", False):
            # the interpreter is not a pinned distribution: such a module hooks nothing else, and says so
            assert module.LIBRARIES == () and "standard library" in module.__doc__, module.__name__
            assert all(target.module.split(".")[0] in {"os", "threading", "concurrent"} for target in module.FIXES)
            continue
        assert module.LIBRARIES, module.__name__
        for library in module.LIBRARIES:
            assert library in pins.PINNED, f"{module.__name__} hooks {library}, which pins.PINNED does not pin"
            assert f'pins.PINNED["{library}"]' in module.__doc__, f"{module.__name__}'s docstring names no pin"
            assert pins.PINNED[library] in module.__doc__, f"{module.__name__}'s docstring names another version"
        assert callable(module.install) and callable(module.uninstall)
        named.update(module.LIBRARIES)
    # the durable testing SDK is pinned for the subclasses in durable_host.py and time_control.py, not patched
    assert set(pins.PINNED) - named == {"aws-durable-execution-sdk-python-testing"}


def test_fixes_and_speed_ups_are_declared_apart():
    for module in patches.MODULES:
        assert not set(module.FIXES) & set(module.SPEEDUPS), module.__name__
    assert len(patches.targets(speedups=True)) == len(set(patches.targets(speedups=True)))


@pytest.mark.parametrize("speedups", [True, False], ids=["speed-ups", "DUOFLOW_SPEEDUPS=0"])
def test_a_stopped_runtime_leaves_every_patched_attribute_as_the_library_had_it(tmp_path, monkeypatch, speedups):
    monkeypatch.setenv(patches.SWITCH, "1" if speedups else "0")
    every = patches.targets(speedups=True)
    installed = set(patches.targets(speedups=speedups))
    before = snapshot(every)

    runtime = start_runtime(tmp_path)
    try:
        running = snapshot(every)
        for target in every:
            if target in installed:
                assert not same(before[target], running[target]), f"{target} was not patched by start()"
            else:
                assert same(before[target], running[target]), f"{target} was patched with DUOFLOW_SPEEDUPS=0"
    finally:
        runtime.stop()

    after = snapshot(every)
    changed = [str(target) for target in every if not same(before[target], after[target])]
    assert not changed, f"stop() left these patched: {changed}"


def test_a_start_that_fails_half_way_leaves_nothing_patched(tmp_path, monkeypatch):
    from duoflow.runtime.patches import moto_bedrock

    def failing() -> None:
        raise RuntimeError("the Converse route cannot be installed")

    monkeypatch.setattr(moto_bedrock, "install", failing)
    every = patches.targets(speedups=True)
    before = snapshot(every)

    with pytest.raises(RuntimeError, match="Converse route"):
        start_runtime(tmp_path)

    after = snapshot(every)
    assert [str(target) for target in every if not same(before[target], after[target])] == []


def test_a_patcher_refuses_what_its_module_did_not_declare_and_restores_in_reverse():
    class Owner:
        inherited = "base's"

    class Child(Owner):
        own = "child's"

    module_name = __name__
    globals()["PatchedChild"] = Child
    try:
        own, inherited = Target(module_name, "PatchedChild.own"), Target(module_name, "PatchedChild.inherited")
        patcher = Patcher(fixes=(own,), speedups=(inherited,))
        with pytest.raises(RuntimeError, match="not declared"):
            patcher.replace(Target(module_name, "PatchedChild.other"), 1)
        assert patcher.replace(own, "first") == "child's"
        assert patcher.replace(own, "second") == "first"
        assert patcher.replace(inherited, "patched") == "base's"
        patcher.restore()
        assert vars(Child)["own"] == "child's"
        assert "inherited" not in vars(Child) and Child.inherited == "base's"
    finally:
        del globals()["PatchedChild"]
