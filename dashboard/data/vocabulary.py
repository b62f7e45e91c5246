"""Accepted values of every dimension, with labels, in display order (read from the warehouse
by ``dashboard.data.reference.vocabulary``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_PERIOD = re.compile(r"^(\d{4})[/-](\d{2})$")


@dataclass(frozen=True)
class Vocabulary:
    """Accepted values per parameter, in display order, with labels (from the warehouse)."""

    values: Mapping[str, tuple[tuple[str, str], ...]]  # param -> ((code, label), ...)
    latest_period: str | None = None

    def codes(self, param: str) -> list[str]:
        return [code for code, _ in self.values.get(param, ())]

    def label(self, param: str, code: str) -> str:
        return dict(self.values.get(param, ())).get(code, code)

    def lookup(self, param: str, text: str) -> str | None:
        """The accepted code ``text`` names (any case), or None."""
        codes = self.codes(param)
        if text in codes:
            return text
        return {c.lower(): c for c in codes}.get(text.lower())


def canonical_period(text: str) -> str:
    """'2024-25' -> '2024/25' (other spellings are left for the vocabulary check)."""
    m = _PERIOD.match(text.strip())
    return f"{m.group(1)}/{m.group(2)}" if m else text.strip()
