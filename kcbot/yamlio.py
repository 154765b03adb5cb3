"""YAML loading for kcbot's data files.

PyYAML follows YAML 1.1, where ``yes``/``no``/``on``/``off`` become booleans; in Danish data a
citizen's "no" or an option ``on`` must stay text. The loader below keeps only ``true`` and
``false`` as booleans (as YAML 1.2 does).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from kcbot.errors import DataError

__all__ = ["KcbotLoader", "PureKcbotLoader", "check_keys", "load_yaml"]


# libyaml's parser (CSafeLoader) reads the data files in a tenth of the time of the pure-Python
# one, which was a sixth of a cold start; the resolver below is the same Python class in both.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KcbotLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    pass


class PureKcbotLoader(yaml.SafeLoader):
    """The same rules on the pure-Python parser (a test compares the two)."""


KcbotLoader.yaml_implicit_resolvers = PureKcbotLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _loader in (KcbotLoader, PureKcbotLoader):
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"))


def load_yaml(path: Path, loader: type = KcbotLoader) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(path, "-", f"filen er ikke gyldig UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise DataError(path, "-", f"filen kan ikke læses ({exc.strerror})") from None
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"linje {mark.line + 1}" if mark else "-"
        raise DataError(path, where, f"ugyldig YAML: {getattr(exc, 'problem', exc)}") from None


def check_keys(path: Path | str, where: str, raw: dict[str, Any], allowed: set[str]) -> None:
    """Refuse keys a data file does not know (a typo would otherwise be silently ignored)."""
    unknown = set(raw) - allowed
    if unknown:
        known = ", ".join(sorted(allowed))
        raise DataError(path, where, f"ukendte nøgler {sorted(unknown)}; gyldige: {known}")
