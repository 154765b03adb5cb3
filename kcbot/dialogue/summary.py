"""``kcbot test --summary``: a corpus of scripted dialogues summarised as pass rates overall, per
flow and per kind of failure.

A dialogue counts under the flow it is mainly about (its ``flow:`` key, else the first flow it
started, else its file's name). A failed dialogue counts once under its main failure kind (the
first of ``FAILURE_KINDS`` among its failures) and under every kind it showed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kcbot.dialogue.scripted import FAILURE_KINDS, DialogueResult

__all__ = ["Summary", "summarise"]


@dataclass
class FlowLine:
    flow: str
    total: int = 0
    passed: int = 0

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


@dataclass
class Summary:
    total: int
    passed: int
    flows: list[FlowLine] = field(default_factory=list)
    main_kinds: Counter[str] = field(default_factory=Counter)  # failed dialogues by main kind
    any_kinds: Counter[str] = field(default_factory=Counter)  # failed dialogues showing a kind

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total, "passed": self.passed, "failed": self.total - self.passed,
            "pass_rate": round(self.rate, 4),
            "flows": [{"flow": f.flow, "total": f.total, "passed": f.passed,
                       "pass_rate": round(f.rate, 4)} for f in self.flows],
            "failure_kinds": [{"kind": k, "label": FAILURE_KINDS[k],
                               "main": self.main_kinds[k], "any": self.any_kinds[k]}
                              for k in FAILURE_KINDS],
        }

    def report(self) -> str:
        width = max([len(f.flow) for f in self.flows] + [len("i alt")])
        lines = [f"Bestået: {self.passed} af {self.total} ({self.rate:.1%})", "",
                 f"{'flow':<{width}}  bestået   i alt    andel"]
        for f in self.flows:
            lines.append(f"{f.flow:<{width}}  {f.passed:>7}  {f.total:>6}  {f.rate:>7.1%}")
        lines.append(f"{'i alt':<{width}}  {self.passed:>7}  {self.total:>6}  {self.rate:>7.1%}")
        label_width = max(len(k) for k in FAILURE_KINDS)
        lines += ["", f"{'fejltype':<{label_width}}  hoved  alle  ", ]
        for kind, label in FAILURE_KINDS.items():
            lines.append(f"{kind:<{label_width}}  {self.main_kinds[kind]:>5}  "
                         f"{self.any_kinds[kind]:>4}  {label}")
        return "\n".join(lines)


def summarise(results: list[DialogueResult]) -> Summary:
    flows: dict[str, FlowLine] = {}
    summary = Summary(total=len(results), passed=sum(r.passed for r in results))
    for result in results:
        line = flows.setdefault(result.flow or "?", FlowLine(result.flow or "?"))
        line.total += 1
        line.passed += result.passed
        if result.kind:
            summary.main_kinds[result.kind] += 1
            summary.any_kinds.update(set(result.kinds))
    summary.flows = sorted(flows.values(), key=lambda f: (-f.total, f.flow))
    return summary
