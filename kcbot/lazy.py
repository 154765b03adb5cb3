"""Deferred imports of what kcbot's first reply does not need.

rasa_sdk's package ``__init__`` imports ``rasa_sdk.plugin``, and that module imports Sanic for
the action server's plugin hook: about 0.12 s and 20 MB before a single action can be imported,
a third of a cold start. An engine that runs its actions in-process never touches the hook.

The finder below hands the real ``rasa_sdk.plugin`` to Python's own ``importlib.util.LazyLoader``:
the module is found and bound as usual, and executed (importing Sanic) on its first attribute
access, which is rasa_sdk's endpoint doing ``from rasa_sdk.plugin import plugin_manager`` when
an action server starts. Nothing of rasa_sdk is changed or replaced, and a process that imported
rasa_sdk before kcbot (``python -m rasa_sdk --actions kcbot.actions``) is not affected at all.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

__all__ = ["DEFERRED", "attributes", "gc_paused", "install"]

# Modules executed on first use instead of on import: only ones whose importers bind the module
# without reading from it (``import a.b``), else the deferral buys nothing. ``logging.config``:
# rasa_sdk's utils import it (with ``socketserver``, ``logging.handlers`` and ``queue``, ~5 ms)
# for a command-line option of the action server.
DEFERRED = frozenset({"rasa_sdk.plugin", "logging.config"})


class _DeferredFinder:
    """A meta path finder (``importlib.abc`` is not imported for it: 4 ms of a start)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in DEFERRED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec  # not a plain source or bytecode module: imported as usual
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _DeferredFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _DeferredFinder())


def attributes(package: str, homes: dict[str, str]) -> Callable[[str], Any]:
    """A package's module ``__getattr__`` for names imported on first use: ``name`` comes from
    the submodule ``homes[name]`` and is bound in the package, so the next use is a plain
    attribute. What a package exports for a command (mail for ``kcbot serve``, retention for
    ``kcbot purge``) is then not imported by every start."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while start-up builds what lives as long as the process.

    Importing the engine and opening it allocate ~50,000 objects (modules, classes, functions,
    the data files' contents) and no cyclic garbage to speak of, yet they triggered ~130
    collections (117 while importing), a full one among them, each walking what was built so
    far: ~3.5 % of a cold start's instructions. Paused, they were still walked twice after: by
    the first young collection (~20 ms), which moved them to the middle generation, and by that
    generation's collection ten young ones later, on the first turn (~15 ms). So the pause ends
    with a collection of the middle generation: one walk takes them to the oldest. Freezing them
    instead (``gc.freeze``, never walked) was measured and dropped (stop 17): −6 % of a cold
    start's instructions, but it froze whatever garbage the program held before the import for
    good (``kcbot bench``'s first NLU: 10 MB more peak RSS), and a program that ran
    ``asyncio.run`` and left a file open lost the file's buffered lines at exit.
    The previous state is restored (pauses may nest, and a disabled collector stays off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.collect(1)
            gc.enable()
