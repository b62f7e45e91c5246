"""Row-level questions: the explorer grid's pages of offerings and the rows of every export.

Both start from one relation (``current_offerings`` with its submission's file name)
and one WHERE clause (the shared Filters plus an optional title search), so the grid,
the download endpoints and ``mcred export`` cannot disagree about which rows match.

The grid's sort and filter models come from the browser: column names are looked up
in GRID_COLUMNS (an allow-list of SQL expressions written here), operators in fixed
tables, and every value travels as a query parameter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

import pandas as pd

from dashboard.cell_safety import guard_sql
from dashboard.data import scope
from dashboard.data.database import Reader
from dashboard.data.filters import Filters
from dashboard.data.state import SEARCH_MAX_CHARS

# --- the rows ----------------------------------------------------------------------

# current_offerings plus the file and load time of each offering's submission.
# USING merges submission_id only, so the shared Filters.where() stays unambiguous.
RELATION = """current_offerings
LEFT JOIN (SELECT submission_id, file_name, loaded_at FROM submissions) AS sub USING (submission_id)"""


class GridRequestError(ValueError):
    """A sort or filter model the explorer does not accept (unknown column or operator, bad value)."""


def where(filters: Filters, search: str | None = None) -> tuple[str, list[Any]]:
    """(where_sql, params): the shared filters, plus a case-insensitive title search."""
    sql, params = filters.where()
    text = (search or "").strip()[:SEARCH_MAX_CHARS]
    if text:
        sql += " AND strpos(lower(title), lower(?)) > 0"
        params = [*params, text]
    return sql, params


def count(reader: Reader, filters: Filters, search: str | None = None) -> int:
    sql, params = where(scope.row_filters(reader, filters), search)
    return int(reader.rows(f"SELECT count(*) FROM current_offerings WHERE {sql}", params)[0][0])


# --- exports ------------------------------------------------------------------------

# The submission-format columns in their order, then the reference and compliance columns.
SUBMISSION_COLUMNS = (
    "institution_code",
    "reporting_period",
    "offering_id",
    "title",
    "mc_type",
    "delivery_mode",
    "credit_status",
    "credits",
    "partner_categories",
    "continuing_education",
    "duration_hours",
    "assessment",
    "recognition",
    "ladders_to_credential",
    "prior_learning_recognition",
    "field_of_study",
    "ministry_funded",
    "competencies",
    "noc_codes",
    "enrolments",
    "completions",
    "tuition_cad",
    "start_date",
    "end_date",
)
EXPORT_COLUMNS = (
    *SUBMISSION_COLUMNS,
    "institution_name",
    "sector",
    "region",
    "over_duration",
    "no_assessment",
    "no_partner",
)


def export_sql(filters: Filters, search: str | None = None, guard_formulas: bool = False) -> tuple[str, list[Any]]:
    """(sql, params) of the exported rows, in load order: no ORDER BY, since DuckDB keeps insertion
    order without one (preserve_insertion_order) and a sort would hold every row before the first
    could stream out.

    guard_formulas: prefix text cells that a spreadsheet would run as a formula with
    ``'`` (the CSV export; the loader drops that apostrophe again).
    """
    selects = []
    for name in EXPORT_COLUMNS:
        expr = "array_to_string(partner_categories, ';')" if name == "partner_categories" else name
        if guard_formulas and name in TEXT_COLUMNS:
            expr = guard_sql(expr)
        selects.append(f"{expr} AS {name}")
    sql, params = where(filters, search)
    return f"SELECT {', '.join(selects)} FROM current_offerings WHERE {sql}", params


# --- the explorer grid --------------------------------------------------------------


class GridColumn(NamedTuple):
    sql: str  # expression over RELATION (written here, never taken from the browser)
    kind: str  # text, number, date or yesno: which filter operators apply
    header: str
    shown: bool  # visible by default


def _yes_no(column: str) -> str:
    return f"CASE WHEN {column} THEN 'yes' WHEN NOT {column} THEN 'no' END"


# fmt: off  (one column a line, read as a table)
GRID_COLUMNS: dict[str, GridColumn] = {
    "institution_code": GridColumn("institution_code", "text", "Institution", True),
    "institution_name": GridColumn("institution_name", "text", "Institution name", False),
    "reporting_period": GridColumn("reporting_period", "text", "Fiscal year", True),
    "offering_id": GridColumn("offering_id", "text", "Offering ID", True),
    "title": GridColumn("title", "text", "Title", True),
    "mc_type": GridColumn("mc_type", "text", "Type", True),
    "delivery_mode": GridColumn("delivery_mode", "text", "Delivery", True),
    "credit_status": GridColumn("credit_status", "text", "Credit status", True),
    "credits": GridColumn("credits", "number", "Credits", False),
    "partner_categories": GridColumn("array_to_string(partner_categories, ';')", "text", "Partner categories", True),
    "continuing_education": GridColumn(_yes_no("continuing_education"), "yesno", "Continuing ed.", True),
    "duration_hours": GridColumn("duration_hours", "number", "Hours", True),
    "assessment": GridColumn(_yes_no("assessment"), "yesno", "Assessed", False),
    "recognition": GridColumn("recognition", "text", "Recognition", False),
    "ladders_to_credential": GridColumn(_yes_no("ladders_to_credential"), "yesno", "Ladders", False),
    "prior_learning_recognition": GridColumn(_yes_no("prior_learning_recognition"), "yesno", "PLAR", False),
    "field_of_study": GridColumn("field_of_study", "text", "Field of study", True),
    "ministry_funded": GridColumn(_yes_no("ministry_funded"), "yesno", "Ministry funded", False),
    "competencies": GridColumn("competencies", "text", "Competencies", False),
    "noc_codes": GridColumn("noc_codes", "text", "NOC codes", False),
    "enrolments": GridColumn("enrolments", "number", "Enrolments", True),
    "completions": GridColumn("completions", "number", "Completions", True),
    "tuition_cad": GridColumn("tuition_cad", "number", "Tuition (CAD)", False),
    "start_date": GridColumn("start_date", "date", "Start", False),
    "end_date": GridColumn("end_date", "date", "End", False),
    "sector": GridColumn("sector", "text", "Sector", False),
    "region": GridColumn("region", "text", "Region", False),
    "over_duration": GridColumn(_yes_no("over_duration"), "yesno", "288 h or more", False),
    "no_assessment": GridColumn(_yes_no("no_assessment"), "yesno", "No assessment", False),
    "no_partner": GridColumn(_yes_no("no_partner"), "yesno", "No partner", False),
    "file_name": GridColumn("file_name", "text", "Submission file", True),
    "loaded_at": GridColumn("strftime(loaded_at, '%Y-%m-%d %H:%M')", "text", "Loaded at", False),
}
# fmt: on
# VARCHAR columns of the export (after partner_categories is joined): the ones a
# spreadsheet could read as a formula, and the grid filters as text.
TEXT_COLUMNS = frozenset(name for name in EXPORT_COLUMNS if GRID_COLUMNS[name].kind == "text")
# Hidden in the grid: which submission a row came from (for the details panel) and a stable order.
ROW_KEYS = ("submission_id", "source_row")
MAX_BLOCK_ROWS = 1000
MAX_CONDITIONS = 4

_TEXT_OPS = {
    "contains": "strpos(lower({e}), lower(?)) > 0",
    "notContains": "coalesce(strpos(lower({e}), lower(?)) = 0, true)",
    "equals": "lower({e}) = lower(?)",
    "notEqual": "coalesce(lower({e}) <> lower(?), true)",
    "startsWith": "starts_with(lower({e}), lower(?))",
    "endsWith": "ends_with(lower({e}), lower(?))",
}
_COMPARE_OPS = {
    "equals": "{e} = ?",
    "notEqual": "coalesce({e} <> ?, true)",
    "lessThan": "{e} < ?",
    "lessThanOrEqual": "{e} <= ?",
    "greaterThan": "{e} > ?",
    "greaterThanOrEqual": "{e} >= ?",
    "inRange": "{e} BETWEEN ? AND ?",
}
_BLANK_OPS = {
    "blank": "({e} IS NULL OR CAST({e} AS VARCHAR) = '')",
    "notBlank": "({e} IS NOT NULL AND CAST({e} AS VARCHAR) <> '')",
}
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise GridRequestError(f"not a number: {value!r}")
    try:
        return float(value)
    except ValueError:
        raise GridRequestError(f"not a number: {value!r}") from None


def _date(value: Any) -> dt.date:
    m = _DATE.match(str(value or ""))
    if not m:
        raise GridRequestError(f"not a date: {value!r}")
    try:
        return dt.date.fromisoformat(m.group(1))
    except ValueError:
        raise GridRequestError(f"not a date: {value!r}") from None


def _condition(column: GridColumn, model: Mapping[str, Any]) -> tuple[str, list[Any]]:
    op = model.get("type")
    e = column.sql
    if op in _BLANK_OPS:
        return _BLANK_OPS[op].format(e=e), []
    if column.kind in ("text", "yesno"):
        if op not in _TEXT_OPS:
            raise GridRequestError(f"unknown text filter {op!r}")
        value = model.get("filter")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise GridRequestError(f"not a text: {value!r}")
        return _TEXT_OPS[op].format(e=e), [str(value)[:SEARCH_MAX_CHARS]]
    if op not in _COMPARE_OPS:
        raise GridRequestError(f"unknown {column.kind} filter {op!r}")
    values: list[Any]
    if column.kind == "number":
        values = [_number(model.get("filter"))] + ([_number(model.get("filterTo"))] if op == "inRange" else [])
    else:
        values = [_date(model.get("dateFrom"))] + ([_date(model.get("dateTo"))] if op == "inRange" else [])
    return _COMPARE_OPS[op].format(e=e), values


def grid_where(filter_model: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    """(sql, params) for AG Grid's filterModel; raises GridRequestError on anything not allow-listed."""
    clauses, params = [], []
    for field, model in (filter_model or {}).items():
        column = GRID_COLUMNS.get(field)
        if column is None:
            raise GridRequestError(f"unknown column {field!r}")
        if not isinstance(model, Mapping):
            raise GridRequestError(f"bad filter for {field!r}")
        conditions = model.get("conditions")
        if conditions is not None:
            operator = {"AND": " AND ", "OR": " OR "}.get(str(model.get("operator", "")).upper())
            if operator is None or not isinstance(conditions, Sequence) or not 0 < len(conditions) <= MAX_CONDITIONS:
                raise GridRequestError(f"bad combined filter for {field!r}")
            parts = [_condition(column, c if isinstance(c, Mapping) else {}) for c in conditions]
            clauses.append("(" + operator.join(p for p, _ in parts) + ")")
            params += [v for _, vals in parts for v in vals]
        else:
            sql, vals = _condition(column, model)
            clauses.append(sql)
            params += vals
    return " AND ".join(clauses) or "TRUE", params


def grid_order(sort_model: Sequence[Any] | None) -> str:
    """ORDER BY for AG Grid's sortModel (allow-listed columns and directions), ties broken by load order;
    empty when there is no sort model (DuckDB then keeps load order without sorting)."""
    parts = []
    for item in sort_model or ():
        column = GRID_COLUMNS.get(str(item.get("colId"))) if isinstance(item, Mapping) else None
        direction = {"asc": "ASC", "desc": "DESC"}.get(str(item.get("sort"))) if isinstance(item, Mapping) else None
        if column is None or direction is None:
            raise GridRequestError(f"bad sort {item!r}")
        parts.append(f"{column.sql} {direction} NULLS LAST")
    return ", ".join([*parts, *ROW_KEYS]) if parts else ""


class GridPage(NamedTuple):
    rows: list[dict[str, Any]]
    row_count: int


def _cached_count(reader: Reader, relation: str, condition: str, params: list[Any]) -> int:
    # Every block the grid asks for repeats the same count: keep it per warehouse version.
    return reader.cached(
        "grid_count",
        (relation, condition, repr(params)),
        lambda: int(reader.rows(f"SELECT count(*) FROM {relation} WHERE {condition}", params)[0][0]),
    )


def grid_rows(reader: Reader, filters: Filters, search: str | None, request: Mapping[str, Any]) -> GridPage:
    """One block of the explorer's infinite grid: rows startRow..endRow and the matching row count.

    ``request`` is AG Grid's getRowsRequest (startRow, endRow, sortModel, filterModel). The block's
    keys are found first (sorting only the keys), then only those rows are read in full.
    """
    try:
        start = max(int(request.get("startRow") or 0), 0)
        end = int(request.get("endRow") or start + 100)
    except (TypeError, ValueError):
        raise GridRequestError("bad row range") from None
    limit = min(max(end - start, 0), MAX_BLOCK_ROWS)
    base_sql, base_params = where(scope.row_filters(reader, filters), search)
    grid_sql, grid_params = grid_where(request.get("filterModel"))
    order = grid_order(request.get("sortModel"))
    condition = f"({base_sql}) AND ({grid_sql})"
    params = [*base_params, *grid_params]
    needs_join = any(name in grid_sql or name in order for name in ("file_name", "loaded_at"))
    relation = RELATION if needs_join else "current_offerings"
    keys = reader.rows(
        f"SELECT {', '.join(ROW_KEYS)} FROM {relation} WHERE {condition} "
        f"{'ORDER BY ' + order if order else ''} LIMIT ? OFFSET ?",
        [*params, limit, start],
    )
    total = _cached_count(reader, relation, condition, params)
    if not keys:
        return GridPage([], total)
    select = ", ".join(
        f"CAST({c.sql} AS VARCHAR) AS {name}" if c.kind == "date" else f"{c.sql} AS {name}"
        for name, c in GRID_COLUMNS.items()
    )
    submissions = [k[0] for k in keys]
    frame = reader.frame(
        f"SELECT {select}, {', '.join(ROW_KEYS)} FROM {RELATION} "
        "JOIN (SELECT unnest(?::INTEGER[]) AS submission_id, unnest(?::INTEGER[]) AS source_row, "
        "unnest(range(?)) AS _position) AS page USING (submission_id, source_row) "
        "WHERE submission_id BETWEEN ? AND ? ORDER BY _position",
        [submissions, [k[1] for k in keys], len(keys), min(submissions), max(submissions)],
    )
    return GridPage(_records(frame), total)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: missing values as None."""
    return cast(list[dict[str, Any]], frame.astype(object).where(frame.notna(), None).to_dict("records"))


SUBMISSION_SQL = """
SELECT submission_id, institution_code, institution_name, reporting_period, file_name, sheet, sha256, status,
       rows_total, rows_accepted, rows_rejected, errors, warnings, loaded_at, superseded_by, superseded_at,
       is_current, allow_partial
FROM submissions WHERE submission_id = ?
"""


def submission(reader: Reader, submission_id: int) -> dict[str, Any] | None:
    """The details of one loaded submission (the explorer's row-to-submission link)."""
    frame = reader.frame(SUBMISSION_SQL, [int(submission_id)])
    if frame.empty:
        return None
    scope.require_rows_of(reader, str(frame.institution_code.iloc[0]))
    return cast(dict[str, Any], frame.astype(object).where(frame.notna(), None).iloc[0].to_dict())
