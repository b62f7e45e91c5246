"""Check and normalise a submission table column-wise.

The raw text cells from ``etl.readers`` are cleaned and, where that is plain, typed in
Arrow (``etl.columnar``); coded values (types, booleans, periods, institutions...) are
few, so each distinct spelling is matched once in Python by the same normaliser as the
headers. The result is registered on the given connection as ``prepared``, under two
temporary objects:

- ``typed`` (a view): one row per data row, each column both as cleaned text
  (``raw_<c>``) and as its typed, canonical value (``<c>``, NULL when missing or
  invalid), plus ``_sub``, the submission (institution, period pair) the row belongs to.
  Arrow types every column by the same rules as the SQL in :func:`_typed_expr`; a
  column it cannot follow (a year-zero date) is typed by that SQL in the view;
- ``issues`` (a table): every problem, with the row number a person sees in the file.

No per-cell Python loop touches a million rows, and no full-size copy of the rows is
made: ``typed`` reads the Arrow columns in place, and ``submission_typed`` (the same
columns over ``submission_rows``) one submission's rows, registered by
:func:`submission_rows`. :func:`release` drops them all.
"""

from __future__ import annotations

import contextlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl import columnar, spec
from etl.readers import ROW_COLUMN, RawSubmissionTable
from etl.spec import COLUMNS, SEVERITY_ERROR, SEVERITY_WARNING, Column, Issue, normalize_key

MAX_ISSUE_VALUE_CHARS = 500

_PERIOD = re.compile(r"^(?:fy\s*)?(\d{4})\s*[/\-]\s*(\d{2}|\d{4})$", re.IGNORECASE)


def parse_period(text: str) -> str | None:
    """'2024-2025', 'FY2024/25' ... -> '2024/25'; None when malformed or not consecutive."""
    m = _PERIOD.match(text.strip())
    if not m:
        return None
    first, second = int(m.group(1)), m.group(2)
    if len(second) == 4:
        ok = int(second) == first + 1
    else:
        ok = int(second) == (first + 1) % 100
    return f"{first}/{(first + 1) % 100:02d}" if ok else None


def institution_matcher(institutions: list[spec.Institution]):
    table = {}
    for inst in institutions:
        table[normalize_key(inst.code)] = inst.code
        table[normalize_key(inst.name)] = inst.code
    return lambda text: table.get(normalize_key(text))


def partner_codes(text: str) -> tuple[list[str] | None, str | None]:
    """Split and match a partner cell: (codes, None) or (None, problem)."""
    lookup = spec.CODE_LISTS["partner_category"].lookup()
    order = {c: i for i, c in enumerate(spec.CODE_LISTS["partner_category"].values)}
    parts = [p.strip() for p in re.split(r"[;,|]", text) if p.strip()]
    if not parts:
        return None, "missing"
    codes, unknown = [], []
    for part in parts:
        code = lookup.get(normalize_key(part))
        if code is None:
            unknown.append(part)
        elif code not in codes:
            codes.append(code)
    if unknown:
        # Quoted in the message: cut long parts short, name at most a few.
        shown = [repr(u if len(u) <= 60 else u[:57] + "...") for u in unknown[:5]]
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        return None, "unknown:" + ", ".join(shown) + more
    if "none" in codes and len(codes) > 1:
        return None, "none_combined"
    return sorted(codes, key=order.__getitem__), None


@dataclass
class SubmissionGroup:
    key: int
    institution_code: str | None
    institution_given: str | None
    reporting_period: str | None
    period_given: str | None
    rows_total: int = 0
    rows_with_errors: int = 0
    errors: int = 0
    warnings: int = 0
    file_index: int = 0


@dataclass
class PreparedRows:
    """The batch's rows behind ``typed``, and where each submission's rows are."""

    table: pa.Table
    columns_sql: str  # the select list of ``typed``
    positions: dict[int, np.ndarray]  # submission key -> its rows' positions, ascending

    def select(self, relation: str) -> str:
        return f"SELECT {self.columns_sql} FROM {relation}"

    def of(self, key: int) -> pa.Table:
        """One submission's rows: a zero-copy slice when they lie together, as they usually do."""
        at = self.positions.get(key)
        if at is None or not len(at):
            return self.table.slice(0, 0)
        if at[-1] - at[0] + 1 == len(at):
            return self.table.slice(int(at[0]), len(at))
        return self.table.take(pa.array(at))


@dataclass
class ValidatedFile:
    raw: RawSubmissionTable
    groups: list[SubmissionGroup]
    file_issues: list[Issue] = field(default_factory=list)
    rows: PreparedRows | None = None

    @property
    def file_rejected(self) -> bool:
        return any(i.severity == SEVERITY_ERROR for i in self.file_issues)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not an allowed identifier: {name!r}")
    return '"' + name + '"'




def _display(expr: str) -> str:
    return (f"CASE WHEN length({expr}) > {MAX_ISSUE_VALUE_CHARS} THEN left({expr}, {MAX_ISSUE_VALUE_CHARS}) "
            f"|| '... (' || length({expr}) || ' characters)' ELSE {expr} END")


def _short(expr: str) -> str:
    # The value quoted for a message, cut to a readable length.
    return f"'''' || CASE WHEN length({expr}) > 60 THEN left({expr}, 57) || '...' ELSE {expr} END || ''''"


class _Mapper:
    """Distinct spellings of a coded column, matched once in Python, spread back in Arrow."""

    ARROW_TYPES = {spec.BOOLEAN: pa.bool_(), spec.CODES: pa.list_(pa.string())}

    def __init__(self, institutions: list[spec.Institution]):
        self.match_institution = institution_matcher(institutions)

    def map_column(self, column: Column, distinct: pa.Array,
                   index: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray | None]:
        """(typed value, problem) of every row, from its index in ``distinct``; the problem
        (a partner cell's own wording) only for a list of codes."""
        values, problems = [], []
        for text in distinct.to_pylist():
            value, problem = (None, None) if text is None else self.match(column, text)
            values.append(value)
            problems.append(problem)
        if column.kind in self.ARROW_TYPES:
            typed = pc.take(pa.array(values, type=self.ARROW_TYPES[column.kind]), index)
        else:  # a code per row: dictionary-encoded, so a million rows hold indices, not strings
            dictionary: dict[str, int] = {}
            slot = pa.array([None if v is None else dictionary.setdefault(v, len(dictionary)) for v in values],
                            type=pa.int32())
            codes = pa.array(list(dictionary), type=pa.string())
            typed = pa.chunked_array([pa.DictionaryArray.from_arrays(chunk, codes) for chunk in pc.take(slot, index).chunks],
                                     type=pa.dictionary(pa.int32(), pa.string()))
        if column.kind != spec.CODES:
            return typed, None
        return typed, pc.take(pa.array(problems, type=pa.string()), index)

    def match(self, column: Column, text: str):
        kind = column.kind
        if kind == spec.INSTITUTION:
            code = self.match_institution(text)
            return code, (None if code else "unknown_institution")
        if kind == spec.PERIOD:
            period = parse_period(text)
            return period, (None if period else "invalid_period")
        if kind == spec.BOOLEAN:
            code = spec.CODE_LISTS["boolean"].lookup().get(normalize_key(text))
            return (None, "invalid_boolean") if code is None else (code == "yes", None)
        if kind == spec.CODES:
            codes, problem = partner_codes(text)
            return codes, problem
        code = spec.CODE_LISTS[column.code_list].lookup().get(normalize_key(text))
        return code, (None if code else "invalid_code")


def _typed_expr(column: Column, raw: str) -> str:
    """SQL for the typed value of a column that is checked in SQL (NULL when invalid)."""
    kind = column.kind
    if kind in (spec.NUMBER, spec.INTEGER):
        stripped = f"regexp_replace({raw}, {_q(columnar.HOURS_UNIT_RE)}, '')" if column.name == "duration_hours" else raw
        number = (f"CASE WHEN regexp_full_match({stripped}, {_q(columnar.NUMBER_RE)}) "
                  f"THEN TRY_CAST(replace({stripped}, ',', '') AS DOUBLE) END")
        if kind == spec.INTEGER:
            number = (f"CASE WHEN {number} = floor({number}) AND abs({number}) < {columnar.MAX_WHOLE:g} "
                      f"THEN CAST({number} AS BIGINT) END")
        # Most cells are plain digits: cast them directly (no regex); the rest take the
        # full path (signs, decimals, thousands separators, units).
        digits_only = f"(ltrim({raw}, '0123456789') = '' AND length({raw}) < 16)"
        plain = f"CAST({raw} AS {'BIGINT' if kind == spec.INTEGER else 'DOUBLE'})"
        return f"CASE WHEN {digits_only} THEN {plain} ELSE {number} END"
    if kind == spec.DATE:
        return f"CASE WHEN regexp_full_match({raw}, {_q(columnar.DATE_RE)}) THEN TRY_CAST(left({raw}, 10) AS DATE) END"
    if kind == spec.NOC_LIST:
        parts = f"list_transform(string_split_regex({raw}, '[;,]'), lambda x: trim(x))"
        return (f"CASE WHEN len(list_filter({parts}, lambda x: x <> '')) BETWEEN 1 AND 3 AND "
                f"list_bool_and(list_transform(list_filter({parts}, lambda x: x <> ''), "
                f"lambda x: regexp_full_match(x, '\\d{{5}}'))) "
                f"THEN array_to_string(list_filter({parts}, lambda x: x <> ''), ';') END")
    if kind == spec.TEXT_LIST:
        return (f"nullif(array_to_string(list_filter(list_transform(string_split({raw}, ';'), lambda x: trim(x)), "
                f"lambda x: x <> ''), ';'), '')")
    return raw  # TEXT


MAPPED_KINDS = (spec.INSTITUTION, spec.PERIOD, spec.BOOLEAN, spec.CODES, spec.CODE)

def arrow_typed(column: Column, values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A column typed by Arrow, by the rules of :func:`_typed_expr`; None leaves it to them."""
    unit_re = columnar.HOURS_UNIT_RE if column.name == "duration_hours" else None
    if column.kind == spec.INTEGER:
        return columnar.to_integer(values, unit_re)
    if column.kind == spec.NUMBER:
        return columnar.to_number(values, unit_re)
    if column.kind == spec.DATE:
        return columnar.to_date(values)
    if column.kind == spec.TEXT_LIST:
        return columnar.to_text_list(values)
    if column.kind == spec.NOC_LIST:
        return columnar.to_noc_list(values)
    raise ValueError(f"no Arrow rule for {column.kind} columns")


class Facts:
    """What the batch's columns can and cannot hold, from Arrow statistics: a check that
    cannot fire on the batch is left out of the issue scan. Unknown means possible."""

    def __init__(self) -> None:
        self.nulls: dict[str, int] = {}  # column -> cells missing
        self.typed_nulls: dict[str, int] = {}  # column -> typed values missing (Arrow-typed columns)
        self.ranges: dict[str, tuple] = {}  # number column -> (min, max) of its typed values
        self.max_bytes: dict[str, int] = {}  # column -> longest cell in bytes (>= its characters)
        self.problems: set[str] | None = None  # partner cells' problems, when known

    def missing(self, c: str) -> bool:
        return self.nulls.get(c, 1) > 0

    def invalid(self, c: str) -> bool:
        return c not in self.typed_nulls or self.typed_nulls[c] > self.nulls.get(c, 0)

    def below(self, c: str, bound: float, inclusive: bool) -> bool:
        low = self.ranges[c][0] if c in self.ranges else float("-inf")
        return low is not None and (low <= bound if inclusive else low < bound)

    def above(self, c: str, bound: float) -> bool:
        high = self.ranges[c][1] if c in self.ranges else float("inf")
        return high is not None and high > bound

    def longer(self, c: str, length: int) -> bool:
        return self.max_bytes.get(c, length + 1) > length

    def partner_problem(self, prefix: str) -> bool:
        return self.problems is None or any(p.startswith(prefix) for p in self.problems)


@dataclass(frozen=True)
class _Check:
    rule: str
    severity: str
    column: str
    condition: str  # SQL over typed
    message: str  # SQL expression
    expected: str
    value: str | None = None  # SQL expression for the value shown; default raw_<column>


def _checks(present: set[str], present_in: dict[str, list[int]] | None = None,
            facts: Facts | None = None) -> list[_Check]:
    """The checks for the columns present, less those ``facts`` show cannot fire."""
    facts = facts or Facts()
    checks: list[_Check] = []
    for col in COLUMNS:
        c = col.name
        raw = _ident("raw_" + c)
        val = _ident(c)
        shown = _short(raw)
        if c not in present:
            continue
        if col.required and facts.missing(c):
            files = ", ".join(str(n) for n in (present_in or {}).get(c, []))
            in_files = f" AND _file IN ({files})" if present_in is not None else ""
            empty = f"{raw} IS NULL" if col.kind == spec.TEXT else f"{raw} IS NULL AND {val} IS NULL"
            checks.append(_Check("missing_value", SEVERITY_ERROR, c, f"{empty}{in_files}",
                                 _q(f"{c} is required but empty (expected {col.accepted})"), col.accepted))
        if col.kind in MAPPED_KINDS:
            if col.kind == spec.INSTITUTION:
                msg = f"{shown} || ' is not a known institution code or name (see the institutions reference)'"
                rule = "unknown_institution"
            elif col.kind == spec.PERIOD:
                msg = f"{shown} || ' is not a fiscal year: write it as 2024/25 (two consecutive years)'"
                rule = "invalid_period"
            elif col.kind == spec.BOOLEAN:
                msg = f"{shown} || ' is not a yes/no value for {c} (expected {col.accepted})'"
                rule = "invalid_boolean"
            elif col.kind == spec.CODES:
                continue  # partner problems come with their own wording below
            else:
                label = spec.CODE_LISTS[col.code_list].label.lower()
                msg = f"{shown} || ' is not a {label} (expected {col.accepted})'"
                rule = "invalid_code"
            if facts.invalid(c):
                checks.append(_Check(rule, SEVERITY_ERROR, c, f"{raw} IS NOT NULL AND {val} IS NULL", msg,
                                     col.accepted))
        elif col.kind in (spec.NUMBER, spec.INTEGER):
            what = "a whole number" if col.kind == spec.INTEGER else "a number"
            if facts.invalid(c):
                checks.append(_Check("invalid_number", SEVERITY_ERROR, c, f"{raw} IS NOT NULL AND {val} IS NULL",
                                     f"{shown} || ' is not {what} (expected {col.accepted})'", col.accepted))
            if col.minimum is not None and facts.below(c, col.minimum, col.minimum_exclusive):
                op, words = ("<=", "greater than") if col.minimum_exclusive else ("<", "at least")
                checks.append(_Check("out_of_range", SEVERITY_ERROR, c, f"{val} {op} {col.minimum}",
                                     f"{shown} || ' is out of range: {c} must be {words} {col.minimum:g}'",
                                     col.accepted))
            if col.maximum is not None and facts.above(c, col.maximum):
                checks.append(_Check("out_of_range", SEVERITY_ERROR, c, f"{val} > {col.maximum}",
                                     f"{shown} || ' is out of range: {c} must be at most {col.maximum:g}'",
                                     col.accepted))
        elif col.kind == spec.DATE and facts.invalid(c):
            checks.append(_Check("invalid_date", SEVERITY_ERROR, c, f"{raw} IS NOT NULL AND {val} IS NULL",
                                 f"{shown} || ' is not a date (expected {col.accepted})'", col.accepted))
        elif col.kind == spec.NOC_LIST and facts.invalid(c):
            checks.append(_Check("invalid_noc", SEVERITY_ERROR, c, f"{raw} IS NOT NULL AND {val} IS NULL",
                                 f"{shown} || ' is not a list of NOC 2021 codes (expected {col.accepted})'",
                                 col.accepted))
        if col.max_length and facts.longer(c, col.max_length):
            checks.append(_Check("too_long", SEVERITY_ERROR, c, f"length({raw}) > {col.max_length}",
                                 f"'{c} has ' || length({raw}) || ' characters, more than {col.max_length}'",
                                 col.accepted))
    if "partner_categories" in present:
        accepted = spec.COLUMNS_BY_NAME["partner_categories"].accepted
        raw = _ident("raw_partner_categories")
        if facts.partner_problem("unknown:"):
            checks.append(_Check(
                "invalid_code", SEVERITY_ERROR, "partner_categories", "starts_with(_partner_problem, 'unknown:')",
                f"'unknown partner category ' || substr(_partner_problem, 9) || ' (expected {accepted})'", accepted))
        if facts.partner_problem("none_combined"):
            checks.append(_Check(
                "none_combined", SEVERITY_ERROR, "partner_categories", "_partner_problem = 'none_combined'",
                "'none cannot be combined with another partner category: ' || " + _short(raw), accepted))
    if {"completions", "enrolments"} <= present:
        checks.append(_Check(
            "completions_over_enrolments", SEVERITY_ERROR, "completions", "completions > enrolments",
            "'completions (' || completions || ') are more than enrolments (' || enrolments || ')'",
            "a whole number not more than enrolments"))
    if {"credits", "credit_status"} <= present:
        checks.append(_Check(
            "credits_without_credit", SEVERITY_ERROR, "credits", "credits IS NOT NULL AND credit_status = 'non_credit'",
            "'credits are given for a non-credit offering: leave credits empty or set credit_status to credit'",
            "empty unless credit_status is credit"))
    if {"start_date", "end_date"} <= present:
        checks.append(_Check(
            "end_before_start", SEVERITY_ERROR, "end_date", "end_date < start_date",
            "'end_date ' || end_date || ' is before start_date ' || start_date",
            "a date not before start_date"))
    if "offering_id" in present:
        checks.append(_Check(
            "duplicate_offering_id", SEVERITY_ERROR, "offering_id", "_offering_first_row IS NOT NULL",
            "'offering_id ' || " + _short('"raw_offering_id"') + " || ' repeats the one in row ' || _offering_first_row"
            " || ' (must be unique within institution and period)'",
            "an offering_id unique within the institution and period"))
    # Warnings: the three framework compliance flags, then repeated titles.
    if "duration_hours" in present:
        checks.append(_Check(
            "over_duration", SEVERITY_WARNING, "duration_hours", f"duration_hours >= {spec.MAX_MICRO_HOURS}",
            f"'duration ' || raw_duration_hours || ' is not under {spec.MAX_MICRO_HOURS}: the B.C. framework "
            f"sets micro-credentials under {spec.MAX_MICRO_HOURS} hours'",
            f"under {spec.MAX_MICRO_HOURS} hours"))
    if "assessment" in present:
        checks.append(_Check(
            "no_assessment", SEVERITY_WARNING, "assessment", "assessment = false",
            "'no assessment: the B.C. framework makes assessment necessary'", "yes"))
    if "partner_categories" in present:
        checks.append(_Check(
            "no_partner", SEVERITY_WARNING, "partner_categories", "partner_categories = ['none']",
            "'no partner: the B.C. framework asks for alignment with industry, employer, community and/or "
            "Indigenous community needs'", "a partner category other than none"))
    if "title" in present:
        checks.append(_Check(
            "duplicate_title", SEVERITY_WARNING, "title", "_title_first_row IS NOT NULL",
            "'title repeats the one in row ' || _title_first_row", "a title not used by another offering"))
    return checks


def validate_batch(con: duckdb.DuckDBPyConnection, raws: list[RawSubmissionTable],
                   institutions: list[spec.Institution]) -> list[ValidatedFile]:
    """Validate several files in one pass (each SQL statement has a fixed cost that
    small files would otherwise pay one by one). Rows carry ``_file``, their index in
    ``raws``; submission keys (``_sub``) are unique across the batch. Leaves ``typed``
    and ``issues`` on ``con`` until :func:`release`."""
    present_in = {c: [n for n, r in enumerate(raws) if c in r.columns] for c in spec.COLUMN_NAMES}
    present = {c for c, files in present_in.items() if files}
    prepared, groups, sql_typed, facts = _prepare(_concat(raws), _Mapper(institutions), present)
    for raw in raws:  # the rows now live in ``prepared``: let the reader's references go
        raw.table = raw.table.schema.empty_table()
    con.register("prepared", prepared)
    columns = ["_row", "_file", "_sub"]
    for col in COLUMNS:
        raw_col = _ident("raw_" + col.name)
        if col.kind != spec.TEXT:  # for a text the text is the value: raw_<column> only
            if col.name in sql_typed:
                value = f"CAST({_typed_expr(col, raw_col)} AS {col.sql_type})"
            elif col.name in present:
                value = _ident("v_" + col.name)
            else:
                value = f"NULL::{col.sql_type}"
            columns.append(f"{value} AS {_ident(col.name)}")
        columns.append(raw_col)
    columns.append("_partner_problem" if "partner_categories" in present else "NULL::VARCHAR AS _partner_problem")
    rows = PreparedRows(prepared, ", ".join(columns), _positions(prepared.column("_sub")))
    con.execute(f"CREATE OR REPLACE TEMP VIEW typed AS {rows.select('prepared')}")
    # One view for every submission of the batch; submission_rows() registers its rows.
    con.register("submission_rows", prepared.slice(0, 0))
    con.execute(f"CREATE OR REPLACE TEMP VIEW submission_typed AS {rows.select('submission_rows')}")
    del prepared

    # Repeats within a submission point back at the first occurrence (small tables of
    # the repeated keys only, rather than a window over every row).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE repeated_ids AS
        SELECT _sub, raw_offering_id, min(_row) AS first_row FROM typed
        WHERE raw_offering_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE repeated_titles AS
        SELECT _sub, lower(raw_title) AS title_key, min(_row) AS first_row FROM typed
        WHERE raw_title IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    """)
    rows_with_repeats = """(
        SELECT t.*,
               CASE WHEN t._row <> ri.first_row THEN ri.first_row END AS _offering_first_row,
               CASE WHEN t._row <> rt.first_row THEN rt.first_row END AS _title_first_row
        FROM typed t
        LEFT JOIN repeated_ids ri ON ri._sub = t._sub AND ri.raw_offering_id = t.raw_offering_id
        LEFT JOIN repeated_titles rt ON rt._sub = t._sub AND rt.title_key = lower(t.raw_title)
    )"""

    checks = _checks(present, present_in, facts)
    # One pass over the rows: each check contributes a struct when it fires. Rows that
    # fire none (most of them) are let through by the cheap conditions alone.
    any_issue = " OR ".join(f"coalesce({chk.condition}, false)" for chk in checks) or "false"
    found = ", ".join(
        f"CASE WHEN {chk.condition} THEN {{'severity': {_q(chk.severity)}, 'rule': {_q(chk.rule)}, "
        f"'column_name': {_q(chk.column)}, 'value': {_display(chk.value or _ident('raw_' + chk.column))}, "
        f"'expected': {_q(chk.expected)}, 'message': {chk.message}}} END"
        for chk in checks)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE issues AS
        SELECT _sub, _row, f.severity, f.rule, f.column_name, f.value, f.expected, f.message
        FROM (SELECT _sub, _row, unnest(list_filter([{found}], lambda x: x IS NOT NULL)) AS f
              FROM {rows_with_repeats} WHERE {any_issue})
    """ if checks else """
        CREATE OR REPLACE TEMP TABLE issues (_sub INTEGER, _row BIGINT, severity VARCHAR, rule VARCHAR,
            column_name VARCHAR, value VARCHAR, expected VARCHAR, message VARCHAR)
    """)

    counts = {r[0]: r[1:] for r in con.execute("""
        SELECT t._sub, count(*) AS rows_total,
               count(*) FILTER (WHERE e._row IS NOT NULL) AS rows_with_errors
        FROM typed t
        LEFT JOIN (SELECT DISTINCT _sub, _row FROM issues WHERE severity = 'error') e
          ON e._sub = t._sub AND e._row = t._row
        GROUP BY t._sub
    """).fetchall()}
    issue_counts = {(r[0], r[1]): r[2] for r in con.execute(
        "SELECT _sub, severity, count(*) FROM issues GROUP BY ALL").fetchall()}
    con.execute("DROP TABLE repeated_ids")
    con.execute("DROP TABLE repeated_titles")
    for g in groups:
        g.rows_total, g.rows_with_errors = counts.get(g.key, (0, 0))
        g.errors = issue_counts.get((g.key, SEVERITY_ERROR), 0)
        g.warnings = issue_counts.get((g.key, SEVERITY_WARNING), 0)
    results = []
    for n, raw in enumerate(raws):
        file_groups = [g for g in groups if g.file_index == n]
        file_issues = list(raw.issues)
        if not file_groups:
            file_issues.append(Issue(SEVERITY_ERROR, "the file has a header row but no data rows",
                                     raw.file_name, raw.sheet, raw.header_row, None, None,
                                     "at least one offering", rule="no_rows"))
        results.append(ValidatedFile(raw, file_groups, file_issues, rows))
    return results


def submission_rows(con: duckdb.DuckDBPyConnection, validated: ValidatedFile, group: SubmissionGroup) -> str:
    """Name the view of ``typed`` holding only ``group``'s rows (scanning the whole batch for
    each of its submissions would cost more than recording them)."""
    assert validated.rows is not None
    con.register("submission_rows", validated.rows.of(group.key))
    return "submission_typed"


def release(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what :func:`validate_batch` left on the connection (and the rows)."""
    con.execute("DROP VIEW IF EXISTS submission_typed")
    con.execute("DROP VIEW IF EXISTS typed")
    con.execute("DROP TABLE IF EXISTS issues")
    for name in ("submission_rows", "prepared"):
        with contextlib.suppress(Exception):
            con.unregister(name)


def _positions(submission: pa.ChunkedArray) -> dict[int, np.ndarray]:
    keys = _numpy(submission)
    order = np.argsort(keys, kind="stable")
    distinct, starts = np.unique(keys[order], return_index=True)
    bounds = [*starts[1:], len(order)]
    return {int(k): order[lo:hi] for k, lo, hi in zip(distinct, starts, bounds)}


def _concat(raws: list[RawSubmissionTable]) -> pa.Table:
    """One table of every file's rows with every canonical column (absent ones null)."""
    parts = []
    for n, raw in enumerate(raws):
        t = raw.table
        arrays = [t.column(ROW_COLUMN), pa.repeat(pa.scalar(n, pa.int32()), t.num_rows)]
        for name in spec.COLUMN_NAMES:
            arrays.append(t.column(name) if name in t.column_names else pa.nulls(t.num_rows, type=pa.string()))
        parts.append(pa.table(arrays, names=[ROW_COLUMN, "_file", *spec.COLUMN_NAMES]))
    return pa.concat_tables(parts)


# Columns worked on at once: each holds its temporary arrays meanwhile, so a many-core
# machine does not get a memory peak that grows with its cores.
PREPARE_THREADS = min(4, os.cpu_count() or 2)


def _prepare(rows: pa.Table, mapper: _Mapper,
             present: set[str]) -> tuple[pa.Table, list[SubmissionGroup], set[str], Facts]:
    """Clean every cell, drop blank rows, type what Arrow types exactly, key submissions.

    Returns the table behind ``typed`` (``_row``, ``_file``, ``_sub``, ``raw_<c>`` for
    every column, ``v_<c>`` for each typed here, ``_partner_problem``), the submission
    groups, the columns left for SQL rules to type and the batch's :class:`Facts`.
    Columns are worked on PREPARE_THREADS at a time (Arrow and numpy let go of the GIL)."""
    with ThreadPoolExecutor(max_workers=PREPARE_THREADS) as pool:
        names_present = [c for c in spec.COLUMN_NAMES if c in present]
        cleaned = dict(zip(spec.COLUMN_NAMES, (rows.column(c) for c in spec.COLUMN_NAMES)))
        cleaned.update(zip(names_present, pool.map(lambda c: columnar.clean_text(rows.column(c)), names_present)))
        keep = columnar.present(list(cleaned.values()))
        row_numbers, files = rows.column(ROW_COLUMN), rows.column("_file")
        if keep is not None:  # blank rows are not data rows
            row_numbers, files = pc.filter(row_numbers, keep), pc.filter(files, keep)
            cleaned = {c: pc.filter(v, keep) for c, v in cleaned.items()}
        to_type = [col for col in COLUMNS if col.name in present and col.kind != spec.TEXT]
        typed = dict(zip((col.name for col in to_type),
                         pool.map(lambda col: _type_column(col, cleaned[col.name], mapper), to_type)))
    names, arrays = ["_row", "_file"], [row_numbers, files]
    facts = Facts()
    for c, values in cleaned.items():
        names.append("raw_" + c)
        arrays.append(values)
        facts.nulls[c] = values.null_count
        if c in present and spec.COLUMNS_BY_NAME[c].max_length:
            facts.max_bytes[c] = pc.max(pc.binary_length(values)).as_py() or 0
    sql_typed: set[str] = set()
    for name, (values, problems, _) in typed.items():
        if values is None:
            sql_typed.add(name)
            continue
        names.append("v_" + name)
        arrays.append(values)
        facts.typed_nulls[name] = values.null_count
        if spec.COLUMNS_BY_NAME[name].kind in (spec.NUMBER, spec.INTEGER):
            low_high = pc.min_max(values)
            facts.ranges[name] = (low_high["min"].as_py(), low_high["max"].as_py())
        if problems is not None:
            names.append("_partner_problem")
            arrays.append(problems)
            facts.problems = set(pc.unique(problems).drop_null().to_pylist())
    keyed = {name: typed[name][2] if name in typed else columnar.codes(cleaned[name])
             for name in ("institution_code", "reporting_period")}
    groups, submission = _assign_submissions(files, keyed["institution_code"], keyed["reporting_period"], mapper)
    names.append("_sub")
    arrays.append(submission)
    return pa.table(arrays, names=names), groups, sql_typed, facts


def _type_column(col: Column, values: pa.ChunkedArray, mapper: _Mapper):
    """(typed values or None for the SQL rule, a partner cell's problems, (distinct, index) of a code)."""
    if col.kind in MAPPED_KINDS:
        distinct, index = columnar.codes(values)
        typed, problems = mapper.map_column(col, distinct, index)
        return typed, problems, (distinct, index)
    return arrow_typed(col, values), None, None


def _assign_submissions(files: pa.ChunkedArray, institutions: tuple[pa.Array, pa.ChunkedArray],
                        periods: tuple[pa.Array, pa.ChunkedArray],
                        mapper: _Mapper) -> tuple[list[SubmissionGroup], pa.Array]:
    """The submission key of every row, from its file and its institution and period as written.

    A row whose institution or period is missing or invalid joins its file's only valid
    one when there is exactly one (its error still counts there); otherwise it forms a
    submission of its own, which is rejected."""
    (inst_values, inst_index), (period_values, period_index) = institutions, periods
    n_inst, n_period = len(inst_values), len(period_values)
    combined = ((_numpy(files).astype(np.int64) * n_inst + _numpy(inst_index)) * n_period
                + _numpy(period_index))
    distinct, row_combo = np.unique(combined, return_inverse=True)
    inst_texts, period_texts = inst_values.to_pylist(), period_values.to_pylist()
    combos = [(int(k // (n_inst * n_period)), inst_texts[int(k // n_period % n_inst)],
               period_texts[int(k % n_period)]) for k in distinct]
    inst_col, period_col = spec.COLUMNS_BY_NAME["institution_code"], spec.COLUMNS_BY_NAME["reporting_period"]
    resolved = []
    valid_insts: dict[int, set] = {}
    valid_periods: dict[int, set] = {}
    for f, inst_raw, period_raw in combos:
        inst = mapper.match(inst_col, inst_raw)[0] if inst_raw is not None else None
        period = mapper.match(period_col, period_raw)[0] if period_raw is not None else None
        resolved.append((f, inst_raw, period_raw, inst, period))
        if inst is not None:
            valid_insts.setdefault(f, set()).add(inst)
        if period is not None:
            valid_periods.setdefault(f, set()).add(period)
    # Keys are numbered in the order of (file, institution, period) as written, missing last.
    order = sorted(range(len(resolved)), key=lambda i: (resolved[i][0], resolved[i][1] is None, resolved[i][1] or "",
                                                       resolved[i][2] is None, resolved[i][2] or ""))
    keys: dict[tuple, SubmissionGroup] = {}
    combo_key = np.zeros(len(resolved), dtype=np.int32)
    for i in order:
        f, inst_raw, period_raw, inst, period = resolved[i]
        insts, periods_ = valid_insts.get(f, set()), valid_periods.get(f, set())
        g_inst = inst if inst is not None else (next(iter(insts)) if len(insts) == 1 else None)
        g_period = period if period is not None else (next(iter(periods_)) if len(periods_) == 1 else None)
        key = (f, g_inst, None if g_inst else inst_raw, g_period, None if g_period else period_raw)
        if key not in keys:
            keys[key] = SubmissionGroup(len(keys) + 1, g_inst, inst_raw or g_inst, g_period,
                                        period_raw or g_period, file_index=f)
        combo_key[i] = keys[key].key
    groups = sorted(keys.values(), key=lambda g: g.key)
    return groups, pa.array(combo_key[row_combo.reshape(-1)], type=pa.int32())


def _numpy(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values.to_numpy(zero_copy_only=False)
