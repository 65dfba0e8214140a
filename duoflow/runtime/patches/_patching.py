"""How a patch module replaces a library's attribute and puts the original back.

Each patch module declares what it hooks (``FIXES`` and ``SPEEDUPS``: :class:`Target` values) and replaces those
attributes through its :class:`Patcher` only; the patcher refuses a target the module did not declare, so the
declarations are the complete list (``tests/runtime/test_patches.py`` checks every declared target is the
library's own object again once the runtime has stopped).
"""

from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

FIX = "fix"  # always installed: the library departs from AWS, or the runtime plugs its own part in
SPEEDUP = "speed-up"  # installed unless DUOFLOW_SPEEDUPS=0; changes nothing a workflow can observe

MISSING: Any = object()  # the attribute was inherited (or absent): uninstall deletes ours


@dataclass(frozen=True)
class Target:
    """``module`` and the attribute's path in it: ``"Class.method"``, ``"name"``, or ``"mapping[]"`` for an entry
    added to a dict (a URL map)."""

    module: str
    path: str

    @property
    def is_entry(self) -> bool:
        return self.path.endswith("[]")

    def owner(self) -> Any:
        """The class or module that holds the attribute (for an entry: the dict)."""
        owner: Any = importlib.import_module(self.module)
        *parents, last = self.path.removesuffix("[]").split(".")
        for part in parents:
            owner = getattr(owner, part)
        return getattr(owner, last) if self.is_entry else owner

    @property
    def name(self) -> str:
        return self.path.removesuffix("[]").split(".")[-1]

    def current(self) -> Any:
        """What is there now: the owner's own attribute (MISSING when inherited), or the dict's items."""
        owner = self.owner()
        if self.is_entry:
            return list(owner.items())
        return vars(owner).get(self.name, MISSING)

    def __str__(self) -> str:
        return f"{self.module}:{self.path}"


@dataclass
class _Hook:
    target: Target
    owner: Any
    key: str
    original: Any
    replacement: Any


class Patcher:
    """Replaces declared attributes and puts the originals back, in reverse order, exactly."""

    def __init__(self, fixes: tuple[Target, ...], speedups: tuple[Target, ...] = ()) -> None:
        self._kinds = {**{target: FIX for target in fixes}, **{target: SPEEDUP for target in speedups}}
        self._hooks: list[_Hook] = []
        self.installed = False

    def replace(self, target: Target, replacement: Any) -> Any:
        """Set ``target`` to ``replacement``; returns what was there (the attribute as looked up, inherited or not)."""
        self._check(target)
        owner = target.owner()
        looked_up = getattr(owner, target.name, MISSING)  # MISSING: the library has no such attribute
        self._hooks.append(_Hook(target, owner, target.name, vars(owner).get(target.name, MISSING), replacement))
        setattr(owner, target.name, replacement)
        return looked_up

    def add_entry(self, target: Target, key: str, value: Any, first: bool = False) -> None:
        """Add ``key`` to the dict ``target`` names (``first``: in front of the others, which keep their order)."""
        self._check(target)
        mapping: MutableMapping[str, Any] = target.owner()
        if key in mapping:
            raise RuntimeError(f"{target} already has {key!r}: the patch would not be undone exactly")
        self._hooks.append(_Hook(target, mapping, key, MISSING, value))
        if first:
            others = dict(mapping)
            mapping.clear()
            mapping[key] = value
            mapping.update(others)
        else:
            mapping[key] = value

    def restore(self) -> None:
        """Put every original back, the last hook first."""
        while self._hooks:
            hook = self._hooks.pop()
            if hook.target.is_entry:
                hook.owner.pop(hook.key, None)
            elif hook.original is MISSING:
                if hook.key in vars(hook.owner):
                    delattr(hook.owner, hook.key)
            else:
                setattr(hook.owner, hook.key, hook.original)
        self.installed = False

    def _check(self, target: Target) -> None:
        if target not in self._kinds:
            raise RuntimeError(f"{target} is not declared in its patch module's FIXES or SPEEDUPS")
