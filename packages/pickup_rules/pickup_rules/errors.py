"""The one exception every rule raises."""

from __future__ import annotations


class RuleError(ValueError):
    """A value the rules refuse. `field` is the kind of value (`id_number`, `phone`,
    `address`, `level`, `code`); `code` says what is wrong with it, stable across releases."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
