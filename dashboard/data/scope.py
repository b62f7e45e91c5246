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

from dashboard.access.actor import OutOfScope, Scope

if TYPE_CHECKING:
    import pandas as pd

    from dashboard.data.database import Reader
    from dashboard.data.filters import Filters

MINISTRY = Scope("ministry")


class ScopeError(OutOfScope):
    """The data asked for lies outside the viewer's scope; the message says what they may see."""


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


# What the reporting status may say to a viewer who sees no rows: who reported, when and
# against which deadline, but not how many rows or files, nor which submission.
ROW_DETAIL_COLUMNS = ("current_submission_id", "latest_submission_id", "rows_accepted", "submissions")


def status_for_scope(reader: Reader, matrix: pd.DataFrame) -> pd.DataFrame:
    """The reporting-status matrix as the viewer may see it: the public gets the status,
    late/overdue and deadlines of each institution and year, and nothing about its files."""
    if reader.scope.sees_rows:
        return matrix
    return matrix.assign(**{c: None for c in ROW_DETAIL_COLUMNS if c in matrix.columns})


def require_rows(reader: Reader) -> None:
    """Refuse the public anything built from offering rows, files or issues one by one."""
    if not reader.scope.sees_rows:
        raise ScopeError("The public view shows aggregates only: sign in to see offerings, files and issues.")


def require_rows_of(reader: Reader, institution_code: str | None) -> None:
    """Refuse unless the viewer may read this institution's rows (one submission, one cell)."""
    scope = reader.scope
    if institution_code is not None and scope.may_see_rows_of(institution_code):
        return
    if scope.role == "public":
        raise ScopeError("The public view shows aggregates only: sign in to see offerings, files and issues.")
    raise ScopeError("That submission is not yours to see: an institution account sees its own files and issues.")
