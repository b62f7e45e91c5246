"""Who may read which rows: the one place the data layer applies the viewer's scope.

A ``Reader`` carries the ``Scope`` of whoever made the request (``dashboard.access``
derives it from the signed-in user). Aggregates (the overview, the comparison, reporting
status) are open to every scope. Rows that belong to one institution (offerings, their
titles, submission files, validation issues, submission ids) are read only through
these functions:

- ministry: every institution's rows;
- institution: its own rows only; asking for another institution's is a ``ScopeError``;
- public: no rows at all.

A ``ScopeError`` is HTTP 403 at every door (export routes, callbacks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.access.actor import Scope

if TYPE_CHECKING:
    from dashboard.data.database import Reader
    from dashboard.data.filters import Filters

MINISTRY = Scope("ministry")


class ScopeError(PermissionError):
    """The data asked for lies outside the viewer's scope; the message says what they may see."""

    status = 403


def row_filters(reader: Reader, filters: Filters) -> Filters:
    """``filters`` narrowed to the rows the viewer may read (offerings, issues, files)."""
    scope = reader.scope
    if scope.sees_everything:
        return filters
    if scope.role == "institution" and scope.institution:
        others = [code for code in filters.institution if code != scope.institution]
        if others:
            raise ScopeError(
                f"Offering rows, files and issues of {', '.join(others)} are not yours to see: an institution "
                f"account sees {scope.institution}'s in full and other institutions as aggregates only."
            )
        return filters.with_values(institution=(scope.institution,))
    raise ScopeError("The public view shows aggregates only: sign in to see offerings, files and issues.")


def require_rows_of(reader: Reader, institution_code: str | None) -> None:
    """Refuse unless the viewer may read this institution's rows (one submission, one cell)."""
    scope = reader.scope
    if institution_code is not None and scope.may_see_rows_of(institution_code):
        return
    if scope.role == "public":
        raise ScopeError("The public view shows aggregates only: sign in to see offerings, files and issues.")
    raise ScopeError("That submission is not yours to see: an institution account sees its own files and issues.")
