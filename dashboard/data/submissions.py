"""Questions the submissions page and the issue exports ask the warehouse.

Reporting status comes from the ``reporting_status`` view (deadlines and lateness
included, see etl/migrations/003_deadlines.sql), history from ``submissions``, issues
from ``validation_issues``, compliance flags from ``current_offerings``. Reporting is
per submission, so only the location filters (institution, sector, region) and the
fiscal year apply to it; the offering filters apply to the compliance flags only.
SQL is parameterised; identifiers come from the allow-lists below.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, cast

import pandas as pd
import pyarrow as pa

from dashboard.data.database import Reader
from dashboard.data.dimensions import BY_PARAM, LOCATION, PARAMETERS
from dashboard.data.filters import Filters, Vocabulary
from dashboard.data.reference import institutions, with_periods
from dashboard.data.scope import require_rows, require_rows_of, row_filters, status_for_scope
from dashboard.data.state import SEVERITIES, IssueSelection, cell_key, parse_cell
from dashboard.data.tables import ISSUE_TABLE, Sort

__all__ = ["cell_key", "parse_cell"]

LOCATION_PARAMETERS = LOCATION
ISSUE_LIMIT = 500  # issues shown on the page; downloads carry every issue

# Each institution's most recent file per fiscal year: the one definition of "latest file"
# (what it has to fix now), over view submissions aliased s.
LATEST_FILES_SQL = """
SELECT * FROM (
    SELECT s.*, row_number() OVER (PARTITION BY s.institution_code, s.reporting_period
                                   ORDER BY s.loaded_at DESC, s.submission_id DESC) AS newest
    FROM submissions s WHERE {where}
) WHERE newest = 1
"""

# Columns of an issue, as the page queries them (name, expression over the query below); a
# download holds the issue list's columns (dashboard.data.tables.ISSUE_TABLE).
ISSUE_EXPORT_COLUMNS = (
    ("institution_code", "c.institution_code"),
    ("institution_name", "c.institution_name"),
    ("reporting_period", "c.reporting_period"),
    ("file_name", "v.file_name"),
    ("sheet", "v.sheet"),
    ("row", 'v."row"'),
    ("column", 'v."column"'),
    ("severity", "v.severity"),
    ("value", "v.value"),
    ("expected", "v.expected"),
    ("message", "v.message"),
    ("rule", "v.rule"),
    ("submission_id", "v.submission_id"),
)
ISSUE_EXPRESSIONS = dict(ISSUE_EXPORT_COLUMNS)
# Errors first (what stopped a file), then institution, file, row: the one error among hundreds of
# warnings is the first row a person sees, on the page and in the download. The last terms make
# the order total, so the page's first rows are the download's first rows.
ISSUE_ORDER = (
    "v.severity <> 'error'", "c.sort_order", "v.submission_id", "v.severity", 'v."row" NULLS FIRST', 'v."column"',
    "v.sheet", "v.rule", "v.message", "v.value", "v.expected",
)  # fmt: skip


def _location_where(filters: Filters, alias: str) -> tuple[str, list[Any]]:
    """(where_sql, params) for the institution, sector and region filters only."""
    return filters.where(exclude=[p for p in PARAMETERS if p not in LOCATION_PARAMETERS], alias=alias)


# --- fiscal years ----------------------------------------------------------------------


def reporting_periods(reader: Reader) -> list[str]:
    """Every fiscal year with any submission (accepted or not), oldest first (cached per
    warehouse version: each of the page's callbacks asks)."""
    return reader.cached(
        "reporting_periods",
        None,
        lambda: [
            r[0]
            for r in reader.rows(
                "SELECT DISTINCT reporting_period FROM submissions WHERE reporting_period IS NOT NULL ORDER BY 1"
            )
        ],
    )


def page_vocabulary(reader: Reader, vocab: Vocabulary) -> Vocabulary:
    """The shared vocabulary, with every fiscal year that has a submission (a year where
    every file was rejected must still be selectable here)."""
    return with_periods(vocab, reporting_periods(reader))


def selected_period(filters: Filters, vocab: Vocabulary) -> str | None:
    """The one fiscal year that headline figures, issues and flags describe: the chosen
    one, the latest of several chosen, else the latest with data."""
    if filters.period:
        return max(filters.period)
    return vocab.latest_period or (vocab.codes("period")[-1] if vocab.codes("period") else None)


# --- reporting matrix and headline figures ------------------------------------------------

MATRIX_SQL = """
WITH latest AS (
    SELECT institution_code, reporting_period, submission_id AS latest_submission_id
    FROM ({latest})
)
SELECT r.institution_code, r.institution_name, r.sector, r.region, r.reporting_period, r.status,
       r.current_submission_id, l.latest_submission_id, r.rows_accepted, r.submissions,
       r.late, r.overdue, r.deadline, r.current_loaded_at, r.last_loaded_at, r.sort_order
FROM reporting_status r
LEFT JOIN latest l USING (institution_code, reporting_period)
WHERE {where}
ORDER BY r.sort_order, r.reporting_period
"""


# The reference's name of each location filter's column (the frames here say institution_code).
_REFERENCE_COLUMN = {"institution_code": "code"}


def located_codes(reader: Reader, filters: Filters) -> set[str]:
    """The codes of the institutions the location filters (institution, sector, region) select,
    from the cached reference: what ``Filters.where`` selects over a table of institutions."""
    ref = institutions(reader)
    keep = pd.Series(True, index=ref.index)
    for name in LOCATION:
        if chosen := filters.get(name):
            column = BY_PARAM[name].column
            keep &= ref[_REFERENCE_COLUMN.get(column, column)].isin(chosen)
    return set(ref.code[keep])


def _located(reader: Reader, province: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of a cached province-wide frame that the location filters select (a new frame)."""
    return province[province.institution_code.isin(located_codes(reader, filters))].reset_index(drop=True)


def status_matrix(reader: Reader, filters: Filters) -> pd.DataFrame:
    """One row per (institution, fiscal year with any submission), for the selected institutions.

    The province's matrix is read once per warehouse version (a few hundred rows at most, but
    five views deep); the location filters then pick its rows."""
    province = reader.cached("status_matrix", None, lambda: _status_matrix(reader))
    return status_for_scope(reader, _located(reader, province, filters))


def _status_matrix(reader: Reader) -> pd.DataFrame:
    latest = LATEST_FILES_SQL.format(where="s.institution_code IS NOT NULL AND s.reporting_period IS NOT NULL")
    return reader.frame(MATRIX_SQL.format(where="TRUE", latest=latest))


def selected_institutions(reader: Reader, filters: Filters) -> pd.DataFrame:
    """The institutions the location filters select (rows of the matrix even before any load),
    in reference order: institution_code, institution_name, sector, region."""
    ref = institutions(reader)
    chosen = ref[ref.code.isin(located_codes(reader, filters))]
    return chosen.rename(columns={"code": "institution_code", "name": "institution_name"}).reset_index(drop=True)


@dataclass(frozen=True)
class Headline:
    period: str | None
    institutions: int  # institutions selected by the filters
    reported: int  # accepted or partial
    accepted: int
    partial: int
    rejected: int  # only rejected submissions
    missing: int  # no submission at all
    on_time: int  # reported, and the current submission was loaded by the deadline
    late: int
    overdue: int  # nothing accepted and the deadline has passed
    deadline: date | None


def headline(matrix: pd.DataFrame, institutions: int, period: str | None) -> Headline:
    """Headline figures for one fiscal year, from the status matrix."""
    rows = matrix[matrix.reporting_period == period] if period else matrix.iloc[0:0]
    counts = rows.status.value_counts()
    accepted, partial = int(counts.get("accepted", 0)), int(counts.get("partial", 0))
    rejected = int(counts.get("rejected", 0))
    reported = accepted + partial
    late = int(rows.late.fillna(False).astype(bool).sum())
    deadlines = rows.deadline.dropna()
    return Headline(
        period=period,
        institutions=institutions,
        reported=reported,
        accepted=accepted,
        partial=partial,
        rejected=rejected,
        missing=institutions - reported - rejected,
        on_time=reported - late,
        late=late,
        overdue=int(rows.overdue.fillna(False).astype(bool).sum()),
        deadline=pd.Timestamp(deadlines.iloc[0]).date() if len(deadlines) else None,
    )


def deadline_for(reader: Reader, period: str | None) -> date | None:
    """The reporting deadline of ``period`` (a date), or None when none is set."""
    if not period:
        return None
    rows = reader.rows("SELECT deadline FROM reporting_deadlines WHERE reporting_period = ?", [period])
    return rows[0][0] if rows else None


def latest_submission(reader: Reader, institution: str, period: str) -> int | None:
    """The most recently loaded submission of one institution and fiscal year."""
    require_rows_of(reader, institution)
    rows = reader.rows(
        "SELECT submission_id FROM ("
        + LATEST_FILES_SQL.format(where="s.institution_code = ? AND s.reporting_period = ?")
        + ")",
        [institution, period],
    )
    return rows[0][0] if rows else None


# --- who has not reported, and why ----------------------------------------------------------

NOT_REPORTED_SQL = """
WITH inst AS (
    SELECT * FROM (SELECT code AS institution_code, name AS institution_name, sector, region, sort_order
                   FROM institutions) i
    WHERE {where}
),
pair AS (SELECT institution_code, status, overdue FROM reporting_status WHERE reporting_period = ?),
latest AS (SELECT * FROM ({latest})),
first_error AS (
    SELECT submission_id, arg_min(message, coalesce("row", -1)) AS first_error
    FROM validation_issues WHERE severity = 'error' AND list_contains(?::BIGINT[], submission_id)
    GROUP BY submission_id
),
previous AS (
    SELECT institution_code, arg_max(reporting_period, reporting_period) AS previous_period,
           arg_max(file_name, reporting_period) AS previous_file,
           arg_max(loaded_at, reporting_period) AS previous_loaded_at
    FROM submissions
    WHERE is_current AND status IN ('accepted', 'partial') AND reporting_period < ?
    GROUP BY institution_code
)
SELECT inst.institution_code, inst.institution_name, coalesce(pair.status, 'missing') AS status,
       coalesce(pair.overdue, false) AS overdue, latest.submission_id, latest.file_name, latest.loaded_at,
       latest.errors, first_error.first_error, previous.previous_period, previous.previous_file,
       previous.previous_loaded_at
FROM inst
LEFT JOIN pair USING (institution_code)
LEFT JOIN latest USING (institution_code)
LEFT JOIN first_error ON first_error.submission_id = latest.submission_id
LEFT JOIN previous USING (institution_code)
WHERE coalesce(pair.status, 'missing') IN ('rejected', 'missing')
ORDER BY inst.sort_order
"""
ROW_LEVEL = ("submission_id", "file_name", "first_error", "previous_file")  # files and issues: in scope only


def not_reported(reader: Reader, filters: Filters, period: str | None) -> pd.DataFrame:
    """The institutions (within the location filters) with nothing accepted for ``period``, and why:
    status ``rejected`` (its latest file, when it came, its first error) or ``missing`` (no file);
    with each one's latest accepted file of an earlier year. File names and errors are kept only
    for institutions whose files the viewer may read (the rest is reporting status, open to all)."""
    columns = ["institution_code", "institution_name", "status", "overdue", *ROW_LEVEL, "loaded_at", "errors"]
    if not period:
        return pd.DataFrame(columns=columns)
    frame = _located(reader, reader.cached("not_reported", period, lambda: _not_reported(reader, period)), filters)
    hidden = ~frame.institution_code.map(reader.scope.may_see_rows_of).astype(bool)
    for col in ROW_LEVEL:
        frame[col] = frame[col].astype(object).where(~hidden, None)
    return frame


def _not_reported(reader: Reader, period: str) -> pd.DataFrame:
    """not_reported for the whole province, every column (cached per version and fiscal year)."""
    latest = LATEST_FILES_SQL.format(where="s.reporting_period = ?")
    ids = [r[0] for r in reader.rows(f"SELECT submission_id FROM ({latest}) WHERE status = 'rejected'", [period])]
    return reader.frame(NOT_REPORTED_SQL.format(where="TRUE", latest=latest), [period, period, ids, period])


# --- submission history ------------------------------------------------------------------

HISTORY_SQL = """
SELECT s.submission_id, s.file_name, s.sheet, s.sha256, s.loaded_at, s.status, s.rows_total,
       s.rows_accepted, s.rows_rejected, s.errors, s.warnings, s.superseded_by, s.superseded_at,
       s.is_current, s.allow_partial,
       coalesce(s.loaded_at >= d.closes_at, false) AS loaded_late, d.deadline
FROM submissions s
LEFT JOIN reporting_deadlines d ON d.reporting_period = s.reporting_period
WHERE s.institution_code = ? AND s.reporting_period = ?
ORDER BY s.loaded_at DESC, s.submission_id DESC
"""


def submission_history(reader: Reader, institution: str, period: str) -> pd.DataFrame:
    """Every file ever loaded for one institution and fiscal year, newest first."""
    require_rows_of(reader, institution)
    return reader.frame(HISTORY_SQL, [institution, period])


RESTORES_SQL = """
SELECT e.event_at, e.submission_id, s.file_name, e.replaced, e.by_user
FROM submission_event e
JOIN submissions s ON s.submission_id = e.submission_id
WHERE e.event = 'restored' AND s.institution_code = ? AND s.reporting_period = ?
ORDER BY e.event_at DESC, e.event_id DESC
"""


def restore_events(reader: Reader, institution: str, period: str) -> pd.DataFrame:
    """Each time an earlier submission of this institution and year was made current again
    (``mcred restore``), newest first: when, which, the one it replaced, by whom."""
    require_rows_of(reader, institution)
    return reader.frame(RESTORES_SQL, [institution, period])


def submission_info(reader: Reader, submission_id: int) -> dict[str, Any] | None:
    rows = reader.frame(
        "SELECT submission_id, institution_code, institution_name, reporting_period, file_name, "
        "sheet, status, loaded_at, is_current FROM submissions WHERE submission_id = ?",
        [submission_id],
    )
    if rows.empty:
        return None
    info = cast(dict[str, Any], rows.iloc[0].to_dict())
    require_rows_of(reader, str(info["institution_code"]))
    return info


# --- validation issues -----------------------------------------------------------------


@dataclass(frozen=True)
class IssueScope:
    """Which issues: one submission's, or those of each institution's most recent file
    for a fiscal year (within the location filters); then by severity and column."""

    period: str | None
    filters: Filters
    submission_id: int | None = None
    severity: str | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}: accepted values are {', '.join(SEVERITIES)}")


class ResolvedIssues(NamedTuple):
    """What an IssueSelection names, once looked up: the scope to query, the chosen submission
    (its details) and, when the selection names nothing, why (``problem``, with the HTTP
    status a download answers with)."""

    scope: IssueScope
    submission: dict[str, Any] | None = None
    latest: bool = False  # the submission is a cell's most recent file
    problem: str | None = None
    status: int = 404


def resolve_issues(reader: Reader, filters: Filters, vocab: Vocabulary, selection: IssueSelection) -> ResolvedIssues:
    """The one reading of an issue selection, for the page and the downloads alike: a
    submission that exists; else the most recent file of the cell; else each institution's
    most recent file for the selected fiscal year (within the location filters)."""
    severity, column = selection.severity, selection.column
    filters = row_filters(reader, filters)  # an institution sees its own files' issues only
    period = selected_period(filters, vocab)
    sid = selection.submission
    info = submission_info(reader, sid) if sid is not None else None
    if info is None and selection.cell is not None:
        code, cell_period = selection.cell
        latest = latest_submission(reader, code, cell_period)
        info = submission_info(reader, latest) if latest is not None else None
        if info is None:
            return ResolvedIssues(
                IssueScope(cell_period, filters, -1, severity, column),  # matches nothing
                problem=f"{code} has no submission for {cell_period}",
            )
        return ResolvedIssues(IssueScope(info["reporting_period"], filters, latest, severity, column), info, True)
    if info is not None:
        return ResolvedIssues(IssueScope(info["reporting_period"], filters, sid, severity, column), info)
    scope = IssueScope(period, filters, sid, severity, column)
    if sid is not None:
        return ResolvedIssues(scope, problem=f"there is no submission {sid}")
    if period is None:
        return ResolvedIssues(scope, problem="no fiscal year has submissions yet", status=400)
    return ResolvedIssues(scope)


def _scope_sql(scope: IssueScope, with_column: bool = True) -> tuple[str, list[Any], str]:
    """(SQL of the scope's submissions, params, WHERE over validation_issues v)."""
    if scope.submission_id is not None:
        chosen = (
            "SELECT submission_id, institution_code, institution_name, reporting_period, 0 AS sort_order "
            "FROM submissions WHERE submission_id = ?"
        )
        params: list[Any] = [scope.submission_id]
    else:
        where, loc = _location_where(scope.filters, "s")
        # Each institution's most recent file for the year: what it has to fix now.
        latest = LATEST_FILES_SQL.format(where=f"s.reporting_period = ? AND {where}")
        chosen = f"""
            SELECT l.submission_id, l.institution_code, l.institution_name, l.reporting_period, i.sort_order
            FROM ({latest}) l JOIN institutions i ON i.code = l.institution_code"""
        params = [scope.period, *loc]
    clauses = []
    if scope.severity:
        clauses.append("v.severity = ?")
        params.append(scope.severity)
    if with_column and scope.column:
        clauses.append('v."column" IS NOT DISTINCT FROM ?')
        params.append(scope.column)
    return chosen, params, " AND ".join(clauses) or "TRUE"


def _issues_sql(
    scope: IssueScope, select: str, order: bool = True, with_column: bool = True, sort: Sort = ()
) -> tuple[str, list[Any]]:
    """The scope's issues; ``sort``: the grid's sort (allow-listed fields of ISSUE_TABLE), before
    the usual order, which breaks its ties as the grid does (it keeps the rows' own order)."""
    chosen, params, where = _scope_sql(scope, with_column)
    sql = f"WITH c AS ({chosen}) SELECT {select} FROM validation_issues v JOIN c USING (submission_id) WHERE {where}"
    if order:
        sql += " ORDER BY " + ", ".join([*ISSUE_TABLE.order_sql(sort, ISSUE_EXPRESSIONS), *ISSUE_ORDER])
    return sql, params


def _first_issues_sql(scope: IssueScope, limit: int, sort: Sort) -> tuple[str, list[Any]]:
    select = ", ".join(f'{expr} AS "{name}"' for name, expr in ISSUE_EXPORT_COLUMNS)
    sql, params = _issues_sql(scope, select, sort=sort)
    return sql + " LIMIT ?", [*params, limit]


def issue_records(reader: Reader, scope: IssueScope, limit: int = ISSUE_LIMIT, sort: Sort = ()) -> list[dict[str, Any]]:
    """The first ``limit`` issues of the scope, in the order of the downloads (``sort`` first), as
    a grid's rows: one dict per issue, None where a value is missing (no DataFrame between
    DuckDB and the page: the page's rows are plain text and numbers)."""
    names = [name for name, _ in ISSUE_EXPORT_COLUMNS]
    return [dict(zip(names, row, strict=True)) for row in reader.rows(*_first_issues_sql(scope, limit, sort))]


def issue_counts(reader: Reader, scope: IssueScope) -> dict[str, int]:
    """{'total', 'error', 'warning', 'submissions'} for the scope."""
    sql, params = _issues_sql(
        scope,
        "count(*), count(*) FILTER (WHERE v.severity = 'error'), count(*) FILTER (WHERE v.severity = 'warning')",
        order=False,
    )
    total, errors, warnings = reader.rows(sql, params)[0]
    return {"total": total, "error": errors, "warning": warnings}


def issue_columns(reader: Reader, scope: IssueScope) -> list[str]:
    """Columns named by the scope's issues (for the column filter), ignoring the column filter itself."""
    sql, params = _issues_sql(scope, 'DISTINCT v."column"', order=False, with_column=False)
    return sorted(r[0] for r in reader.rows(sql, params) if r[0] is not None)


def issue_export_sql(scope: IssueScope, sort: Sort = (), headers: str = "codes") -> tuple[str, list[Any]]:
    """(sql, params) of every issue of the scope: the issue list's columns (headed by their names,
    or with headers=labels the page's headings) in its order, sorted as the page is."""
    names = ISSUE_TABLE.header(headers)
    select = ", ".join(
        f"{ISSUE_EXPRESSIONS[c.field]} AS " + '"' + name.replace('"', '""') + '"'
        for c, name in zip(ISSUE_TABLE.columns, names, strict=True)
    )
    return _issues_sql(scope, select, sort=sort)


def issue_batches(
    reader: Reader, scope: IssueScope, batch_rows: int = 65_536, sort: Sort = (), headers: str = "codes"
) -> Iterator[pa.RecordBatch]:
    """Every issue of the scope, streamed (the downloads)."""
    sql, params = issue_export_sql(scope, sort, headers)
    yield from reader.arrow_batches(sql, params, batch_rows)


# --- compliance flags ----------------------------------------------------------------------

COMPLIANCE_SQL = """
SELECT institution_code, any_value(institution_name) AS institution_name, count(*) AS offerings,
       count(*) FILTER (WHERE over_duration) AS over_duration,
       count(*) FILTER (WHERE no_assessment) AS no_assessment,
       count(*) FILTER (WHERE no_partner) AS no_partner
FROM current_offerings
WHERE {where} AND reporting_period = ?
GROUP BY ROLLUP (institution_code)
"""


def compliance_flags(reader: Reader, filters: Filters, period: str | None) -> pd.DataFrame:
    """Per institution (and a total row with institution_code NULL): current offerings of
    ``period`` at or over 288 hours, without assessment, without a partner, with shares
    (not for the public: the flags are about offerings one institution reported)."""
    require_rows(reader)
    where, params = filters.where(exclude=("period",))
    frame = reader.frame(COMPLIANCE_SQL.format(where=where), [*params, period])
    order = {
        code: n
        for n, (code, _) in enumerate(reader.rows("SELECT code, sort_order FROM institutions ORDER BY sort_order"))
    }
    frame["_order"] = frame.institution_code.map(order).fillna(len(order))
    frame = frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    if frame.empty or (len(frame) == 1 and frame.offerings.iloc[0] == 0):
        return frame.iloc[0:0]
    for flag in ("over_duration", "no_assessment", "no_partner"):
        frame[f"{flag}_share"] = frame[flag] / frame.offerings.where(frame.offerings > 0)
    return frame
