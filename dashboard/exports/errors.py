"""The one error of every export: what went wrong, in words, and the HTTP status to answer with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.data.tables import ScreenTable, TableRequest, TableRequestError


class ExportError(ValueError):
    """An export that cannot be made as asked (the message says why and what to do)."""

    def __init__(self, message: str, status: int = 400, problems: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.problems = problems or []

    def text(self) -> str:
        """The plain-text body of the HTTP answer."""
        return str(self) + "".join(f"\n- {p}" for p in self.problems) + "\n"


def table_request(table: ScreenTable, query: Mapping[str, Any]) -> TableRequest:
    """A table download's sort and headers as its request names them (dashboard.data.tables);
    ExportError (400) when they name a column the table does not show."""
    try:
        return table.read(query)
    except TableRequestError as exc:
        raise ExportError(f"{table.name.capitalize()} cannot be downloaded so:", exc.status, exc.problems) from None
