"""``with Scoped(variable, value):`` a context variable holds a value within a block."""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Generic, TypeVar

__all__ = ["Scoped"]

T = TypeVar("T")


class Scoped(Generic[T]):
    """The value of ``variable`` is ``value`` within the block, and what it was after. A class,
    not a generator context manager: the engine enters several a turn (the response selection,
    each action's context), and a generator's machinery cost more than the setting."""

    __slots__ = ("token", "value", "variable")

    def __init__(self, variable: ContextVar[T | None], value: T) -> None:
        self.variable = variable
        self.value = value

    def __enter__(self) -> T:
        self.token: Token[T | None] = self.variable.set(self.value)
        return self.value

    def __exit__(self, *exc: object) -> None:
        self.variable.reset(self.token)
