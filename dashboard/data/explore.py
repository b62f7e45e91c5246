"""Row-level questions: the explorer grid's pages of offerings and the rows of every export.

Both start from one relation (``current_offerings`` with its submission's file name) and
one WHERE clause (the shared Filters, the title search and the grid's column filters of
``dashboard.data.state.ExploreState``), one ORDER BY (the grid's sort) and one column list
(the columns shown), so the grid, the download endpoints and ``mcred export`` cannot
disagree about which rows and columns match.

Column names come only from the allow-list of ``dashboard.data.columns``, operators from
fixed tables, and every value (filter values, the label of each code) travels as a query
parameter. The viewer's scope (``dashboard.data.scope.row_filters``) narrows the Filters of
every query here before any row is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

import pandas as pd

from dashboard.cell_safety import guard_sql
from dashboard.data import scope
from dashboard.data.columns import (
    EXPORT_COLUMNS,
    GRID_COLUMNS,
    NEGATED_OPERATORS,
    PARTNERS,
    SUBMISSION_COLUMNS,
    SUBMISSION_FILE_COLUMNS,
    Column,
)
from dashboard.data.database import Reader
from dashboard.data.filters import Filters
from dashboard.data.reference import vocabulary
from dashboard.data.state import SEARCH_MAX_CHARS, ExploreRequestError, ExploreState, GridFilter
from dashboard.data.vocabulary import Vocabulary

__all__ = ["EXPORT_COLUMNS", "GRID_COLUMNS", "SUBMISSION_COLUMNS", "GridColumn", "GridRequestError"]

GridColumn = Column
GridRequestError = ExploreRequestError  # a grid model or URL state the explorer does not accept

# --- the rows ----------------------------------------------------------------------

# current_offerings plus the file and load time of each offering's submission.
# USING merges submission_id only, so the shared Filters.where() stays unambiguous.
RELATION = """current_offerings
LEFT JOIN (SELECT submission_id, file_name, loaded_at FROM submissions) AS sub USING (submission_id)"""
# Hidden in the grid: which submission a row came from (for the details panel) and a stable order.
ROW_KEYS = ("submission_id", "source_row")
MAX_BLOCK_ROWS = 1000
# VARCHAR columns of the export (after partner_categories is joined): the ones a
# spreadsheet could read as a formula.
TEXT_COLUMNS = frozenset(name for name, c in GRID_COLUMNS.items() if c.kind == "text")

_GUARD_REPEATS = guard_sql("\0").count("\0")  # how often guard_sql repeats its expression (and its parameters)

Labels = Mapping[str, Mapping[str, str]]  # vocabulary parameter -> {code: label}


def labels_of(vocab: Vocabulary) -> dict[str, dict[str, str]]:
    """The label of each code of every coded column (from the vocabulary module)."""
    return {c.coded: dict(vocab.values.get(c.coded, ())) for c in GRID_COLUMNS.values() if c.coded}


class Expr(NamedTuple):
    sql: str
    params: list[Any]


def label_expr(name: str, labels: Labels) -> Expr:
    """A coded column's labels (its code where the vocabulary has none), as the screen shows them."""
    coded = GRID_COLUMNS[name].coded
    assert coded is not None
    lookup = "coalesce(map_extract_value(?::MAP(VARCHAR, VARCHAR), {v}), {v})"
    mapping = dict(labels.get(coded, {}))
    if name == PARTNERS:
        inner = lookup.format(v="code")
        return Expr(f"array_to_string(list_transform({PARTNERS}, lambda code: {inner}), '; ')", [mapping])
    return Expr(lookup.format(v=name), [mapping])


def shown_expr(name: str, labels: Labels | None) -> Expr:
    """A column as the grid shows it: labels for coded columns, yes/no for booleans, text times."""
    column = GRID_COLUMNS[name]
    if column.coded and labels is not None:
        return label_expr(name, labels)
    return Expr(column.sql, [])


def relation_for(state: ExploreState, names: tuple[str, ...] = ()) -> str:
    """The submissions join only when a column, filter or sort needs the file."""
    used = [*names, *(f.column for f in state.filters), *(c for c, _ in state.sort)]
    return RELATION if any(name in SUBMISSION_FILE_COLUMNS for name in used) else "current_offerings"


# --- the WHERE clause and the ORDER BY ------------------------------------------------

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


def _typed(column: Column, value: str) -> Any:
    if column.kind == "number":
        return float(value)
    if column.kind == "date":
        return dt.date.fromisoformat(value)
    return value


def filter_condition(item: GridFilter, labels: Labels | None = None) -> Expr:
    """One grid filter as SQL. A coded column matches its code or its label (what the screen
    shows: ``contains:Pick`` and ``equals:pick_and_choose`` both find pick-and-choose offerings);
    a negated operator (notContains, notEqual) needs neither to match."""
    column = GRID_COLUMNS[item.column]
    e = column.sql
    if item.op in _BLANK_OPS:
        return Expr(_BLANK_OPS[item.op].format(e=e), [])
    values = [_typed(column, v) for v in item.values]
    if column.kind not in ("text", "yesno"):
        return Expr(_COMPARE_OPS[item.op].format(e=e), values)
    template = _TEXT_OPS[item.op]
    if not column.coded or labels is None:
        return Expr(template.format(e=e), values)
    label = label_expr(item.column, labels)
    joiner = " AND " if item.op in NEGATED_OPERATORS else " OR "
    sql = "(" + template.format(e=e) + joiner + template.format(e=label.sql) + ")"
    return Expr(sql, [*values, *label.params, *values])


def where(filters: Filters, state: ExploreState | str | None = None, labels: Labels | None = None) -> Expr:
    """The shared filters, the case-insensitive title search and the grid's column filters.
    ``filters`` must already be scoped (``scope.row_filters``)."""
    state = _state(state)
    sql, params = filters.where()
    text = (state.search or "").strip()[:SEARCH_MAX_CHARS]
    if text:
        sql += " AND strpos(lower(title), lower(?)) > 0"
        params = [*params, text]
    for item in state.filters:
        condition = filter_condition(item, labels)
        sql += f" AND {condition.sql}"
        params = [*params, *condition.params]
    return Expr(sql, params)


def order_by(state: ExploreState, labels: Labels | None = None) -> Expr:
    """ORDER BY for the sort (allow-listed columns, fixed directions; a coded column by its label,
    as the screen shows it), ties broken by load order; empty without a sort (DuckDB then keeps
    load order without sorting)."""
    parts, params = [], []
    for column, direction in state.sort:
        expr = shown_expr(column, labels)
        parts.append(f"{expr.sql} {'ASC' if direction == 'asc' else 'DESC'} NULLS LAST")
        params += expr.params
    return Expr(", ".join([*parts, *ROW_KEYS]) if parts else "", params)


def _state(state: ExploreState | str | None) -> ExploreState:
    if isinstance(state, ExploreState):
        return state
    return ExploreState(search=state or None)


def count(reader: Reader, filters: Filters, state: ExploreState | str | None = None) -> int:
    """How many offerings the viewer may read match the filters, the search and the grid filters."""
    state = _state(state)
    condition = where(scope.row_filters(reader, filters), state, labels_of(vocabulary(reader)))
    relation = relation_for(state)
    return _cached_count(reader, relation, condition.sql, condition.params)


# --- exports ------------------------------------------------------------------------


def export_sql(
    filters: Filters,
    state: ExploreState | str | None = None,
    guard_formulas: bool = False,
    labels: Labels | None = None,
) -> Expr:
    """(sql, params) of the exported rows: the state's columns (every export column when it names
    none), its filters and its sort (load order without one: no ORDER BY, since DuckDB keeps
    insertion order and a sort would hold every row before the first could stream out).
    ``filters`` must already be scoped (``scope.row_filters``).

    labels: the label of each code (``labels_of``): a grid filter on a coded column matches its
    code or its label, as on the screen. With ``state.headers == "labels"`` the export has the
    screen's headers and labelled values (coded columns as labels, booleans as yes/no);
    otherwise codes and field names, a valid submission file.
    guard_formulas: prefix text cells that a spreadsheet would run as a formula with
    ``'`` (the CSV export; the loader drops that apostrophe again).
    """
    state = _state(state)
    names = state.export_columns()
    selects, params = [], []
    as_labels = state.headers == "labels"
    for name in names:
        if as_labels:
            expr = shown_expr(name, labels or {})
            alias = '"' + GRID_COLUMNS[name].header.replace('"', '""') + '"'
        else:
            expr = Expr("array_to_string(partner_categories, ';')" if name == PARTNERS else name, [])
            alias = name
        sql, repeats = expr.sql, 1
        if guard_formulas and (name in TEXT_COLUMNS or (as_labels and GRID_COLUMNS[name].kind == "yesno")):
            sql, repeats = guard_sql(sql), _GUARD_REPEATS
        selects.append(f"{sql} AS {alias}")
        params += expr.params * repeats
    condition = where(filters, state, labels)
    relation = relation_for(state, names)
    if not state.sort:
        return Expr(f"SELECT {', '.join(selects)} FROM {relation} WHERE {condition.sql}", [*params, *condition.params])
    # The sort keys are computed beside the rows, under names no output column has: an ORDER BY
    # would otherwise sort by an output column of the same name (a formula-guarded title).
    keys, key_params, order = [], [], []
    for i, (column, direction) in enumerate(state.sort):
        expr = shown_expr(column, labels)
        keys.append(f"{expr.sql} AS _sort_{i}")
        key_params += expr.params
        order.append(f"_sort_{i} {'ASC' if direction == 'asc' else 'DESC'} NULLS LAST")
    return Expr(
        f"SELECT {', '.join(selects)} FROM (SELECT *, {', '.join(keys)} FROM {relation} WHERE {condition.sql}) "
        f"AS matching ORDER BY {', '.join([*order, *ROW_KEYS])}",
        [*params, *key_params, *condition.params],
    )


def export_headers(state: ExploreState) -> list[str]:
    """The header row of an export of ``state``: field names, or the screen's labels."""
    names = state.export_columns()
    return [GRID_COLUMNS[n].header for n in names] if state.headers == "labels" else list(names)


# --- the explorer grid --------------------------------------------------------------


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


def row_range(request: Mapping[str, Any]) -> tuple[int, int]:
    """(first row, how many) of AG Grid's getRowsRequest (startRow, endRow), at most MAX_BLOCK_ROWS."""
    try:
        start = max(int(request.get("startRow") or 0), 0)
        end = int(request.get("endRow") or start + 100)
    except (TypeError, ValueError):
        raise GridRequestError(["getRowsRequest: startRow and endRow must be row numbers"]) from None
    return start, min(max(end - start, 0), MAX_BLOCK_ROWS)


def grid_state(state: ExploreState | str | None, request: Mapping[str, Any]) -> ExploreState:
    """The explorer state with the grid's own filter and sort models (checked like a URL); a model
    the request leaves out keeps the state's."""
    state = _state(state)
    return state.with_grid(
        request.get("filterModel", state.filter_model()), request.get("sortModel", state.sort_model())
    )


def grid_rows(
    reader: Reader, filters: Filters, state: ExploreState | str | None, request: Mapping[str, Any]
) -> GridPage:
    """One block of the explorer's infinite grid: rows startRow..endRow and the matching row count.

    ``request`` is AG Grid's getRowsRequest (startRow, endRow, sortModel, filterModel): its models
    replace the state's grid filters and sort. The block's keys are found first (sorting only the
    keys), then only those rows are read in full, coded columns as their labels.
    """
    start, limit = row_range(request)
    state = grid_state(state, request)
    labels = labels_of(vocabulary(reader))
    condition = where(scope.row_filters(reader, filters), state, labels)
    order = order_by(state, labels)
    relation = relation_for(state)
    keys = reader.rows(
        f"SELECT {', '.join(ROW_KEYS)} FROM {relation} WHERE {condition.sql} "
        f"{'ORDER BY ' + order.sql if order.sql else ''} LIMIT ? OFFSET ?",
        [*condition.params, *order.params, limit, start],
    )
    total = _cached_count(reader, relation, condition.sql, condition.params)
    if not keys:
        return GridPage([], total)
    selects, params = [], []
    for name, column in GRID_COLUMNS.items():
        expr = shown_expr(name, labels)
        selects.append(f"CAST({expr.sql} AS VARCHAR) AS {name}" if column.kind == "date" else f"{expr.sql} AS {name}")
        params += expr.params
    submissions = [k[0] for k in keys]
    frame = reader.frame(
        f"SELECT {', '.join(selects)}, {', '.join(ROW_KEYS)} FROM {RELATION} "
        "JOIN (SELECT unnest(?::INTEGER[]) AS submission_id, unnest(?::INTEGER[]) AS source_row, "
        "unnest(range(?)) AS _position) AS page USING (submission_id, source_row) "
        "WHERE submission_id BETWEEN ? AND ? ORDER BY _position",
        [*params, submissions, [k[1] for k in keys], len(keys), min(submissions), max(submissions)],
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
