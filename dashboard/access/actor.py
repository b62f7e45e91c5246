"""Who is looking, as one value: the signed-in user (or the public, or the local user)
becomes an ``Actor`` at the edge of each request; the data layer reads its ``scope``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("ministry", "institution", "public")


class OutOfScope(PermissionError):
    """What was asked for lies outside the viewer's scope (HTTP 403 at every door); the
    message says what they may see. dashboard.data.scope.ScopeError is one."""

    status = 403


@dataclass(frozen=True)
class Scope:
    """What an actor may read. ``institution`` is set for the institution role only;
    ``min_cell`` is the smallest count of people shown to anyone who does not see everything
    (MCRED_MIN_CELL): the public, and an institution looking at other institutions."""

    role: str
    institution: str | None = None
    min_cell: int = 10

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if (self.role == "institution") != bool(self.institution):
            raise ValueError("an institution scope names exactly one institution; other roles name none")

    @property
    def sees_everything(self) -> bool:
        return self.role == "ministry"

    @property
    def sees_rows(self) -> bool:
        """Any offering rows, files, issues or submission ids at all (never the public)."""
        return self.role != "public"

    @property
    def suppresses(self) -> bool:
        """Counts of people under ``min_cell`` (of anyone but the viewer) are hidden."""
        return self.role != "ministry"

    def may_see_rows_of(self, institution_code: str) -> bool:
        """Offering rows, titles, files, issues and submission ids of one institution."""
        return self.role == "ministry" or (self.role == "institution" and self.institution == institution_code)


@dataclass(frozen=True)
class Actor:
    """A person (or the anonymous public) making a request."""

    role: str
    email: str | None = None
    institution: str | None = None
    via: str = "local"  # how they signed in: none (MCRED_AUTH=none), local, oidc, public

    @property
    def scope(self) -> Scope:
        return Scope(self.role, self.institution if self.role == "institution" else None)

    @property
    def signed_in(self) -> bool:
        return self.via in ("local", "oidc")

    @property
    def label(self) -> str:
        """How the navbar names them: ``lee@bcit.ca (institution: BCIT)``."""
        if self.via == "none":
            return "Local user (ministry, no sign-in)"
        if self.role == "public":
            return "Public view"
        scope = f": {self.institution}" if self.institution else ""
        return f"{self.email} ({self.role}{scope})"

    def to_session(self) -> dict[str, Any]:
        return {"role": self.role, "email": self.email, "institution": self.institution, "via": self.via}

    @classmethod
    def from_session(cls, data: Any) -> Actor | None:
        if not isinstance(data, dict):
            return None
        try:
            actor = cls(
                role=str(data["role"]),
                email=data.get("email"),
                institution=data.get("institution"),
                via=str(data.get("via", "local")),
            )
            actor.scope  # noqa: B018 - validates role and institution
        except (KeyError, ValueError, TypeError):
            return None
        return actor


LOCAL_MINISTRY = Actor(role="ministry", email=None, via="none")
PUBLIC = Actor(role="public", email=None, via="public")
