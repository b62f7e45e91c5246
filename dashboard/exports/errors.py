"""The one error of every export: what went wrong, in words, and the HTTP status to answer with."""

from __future__ import annotations


class ExportError(ValueError):
    """An export that cannot be made as asked (the message says why and what to do)."""

    def __init__(self, message: str, status: int = 400, problems: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.problems = problems or []

    def text(self) -> str:
        """The plain-text body of the HTTP answer."""
        return str(self) + "".join(f"\n- {p}" for p in self.problems) + "\n"
