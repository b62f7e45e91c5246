"""Check and normalise a submission table column-wise, in DuckDB.

The raw text table from ``etl.readers`` becomes two temporary tables on the given
connection:

- ``typed``: one row per data row, each column both as cleaned text (``raw_<c>``)
  and as its typed, canonical value (``<c>``, NULL when missing or invalid), plus
  ``_sub``, the submission (institution, period pair) the row belongs to;
- ``issues``: every problem, with the row number a person sees in the file.

Coded values (types, booleans, periods, institutions...) are few, so each distinct
spelling is matched once in Python by the same normaliser as the headers; numbers,
dates and texts are checked in SQL. No per-cell Python loop touches a million rows.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from etl import spec
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
class ValidatedFile:
    raw: RawSubmissionTable
    groups: list[SubmissionGroup]
    file_issues: list[Issue] = field(default_factory=list)

    @property
    def file_rejected(self) -> bool:
        return any(i.severity == SEVERITY_ERROR for i in self.file_issues)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not an allowed identifier: {name!r}")
    return '"' + name + '"'


# Whitespace trimmed from every cell: ASCII white space and the no-break space that
# spreadsheets like to leave behind.
_TRIM_CHARS = " \t\r\n\u00a0"
_NUMBER_RE = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?$|^[+-]?\.\d+$"
_HOURS_UNIT_RE = r"(?i)\s*(h|hr|hrs|hour|hours)\.?$"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?$"


_WHITESPACE_CODES = "(32, 9, 10, 13, 160)"  # space, tab, LF, CR, no-break space


def _trim_expr(source: str) -> str:
    """Trim white space. trim() with a custom set is slow, so it runs only on the few cells
    that start or end with white space (ord() of the first and last character)."""
    return (f"CASE WHEN ord({source}) IN {_WHITESPACE_CODES} OR ord(right({source}, 1)) IN {_WHITESPACE_CODES} "
            f"THEN trim({source}, {_q(_TRIM_CHARS)}) ELSE {source} END")


def _unguard_expr(trimmed: str) -> str:
    """Drop the export's formula-guard apostrophe (a leading ' before = + - @ tab CR); empty -> NULL."""
    return (f"CASE WHEN ord({trimmed}) = 39 AND list_contains(['=', '+', '-', '@', chr(9), chr(13)], "
            f"substr({trimmed}, 2, 1)) THEN substr({trimmed}, 2) ELSE nullif({trimmed}, '') END")


def _clean_expr(source: str) -> str:
    """Trim, drop the export's formula-guard apostrophe, empty -> NULL."""
    return _unguard_expr(_trim_expr(source))


def _present_expr(source: str) -> str:
    """Whether a raw cell holds anything: _clean_expr(source) IS NOT NULL, without the regex."""
    return f"trim({source}, {_q(_TRIM_CHARS)}) <> ''"


def _not_blank_row() -> str:
    """A data row, not a blank one: some cell holds something."""
    return " OR ".join(_present_expr(_ident(c)) for c in spec.COLUMN_NAMES)


def _display(expr: str) -> str:
    return (f"CASE WHEN length({expr}) > {MAX_ISSUE_VALUE_CHARS} THEN left({expr}, {MAX_ISSUE_VALUE_CHARS}) "
            f"|| '... (' || length({expr}) || ' characters)' ELSE {expr} END")


def _short(expr: str) -> str:
    # The value quoted for a message, cut to a readable length.
    return f"'''' || CASE WHEN length({expr}) > 60 THEN left({expr}, 57) || '...' ELSE {expr} END || ''''"


class _Mapper:
    """Distinct spellings of a coded column, matched once in Python, joined back in SQL."""

    def __init__(self, con: duckdb.DuckDBPyConnection, institutions: list[spec.Institution]):
        self.con = con
        self.match_institution = institution_matcher(institutions)

    def build_all(self, columns: list[Column]) -> pa.Table:
        """One table (col, raw, text_value, bool_value, list_value, problem) for every distinct
        spelling in every coded column, from one scan of the data."""
        if not columns:
            columns = []
        # Straight from the raw cells: each branch cleans one column only.
        union = " UNION ALL ".join(
            f"SELECT DISTINCT {_q(c.name)} AS col, {_clean_expr(_ident(c.name))} AS raw FROM raw_in "
            f"WHERE {_present_expr(_ident(c.name))}" for c in columns)
        rows = self.con.execute(union).fetchall() if columns else []
        by_name = {c.name: c for c in columns}
        cols, raws, texts, bools, lists, problems = [], [], [], [], [], []
        for name, text in rows:
            column = by_name[name]
            value, problem = self.match(column, text)
            cols.append(name)
            raws.append(text)
            texts.append(value if isinstance(value, str) else None)
            bools.append(value if isinstance(value, bool) else None)
            lists.append(value if isinstance(value, list) else None)
            problems.append(problem)
        return pa.table({"col": pa.array(cols, type=pa.string()), "raw": pa.array(raws, type=pa.string()),
                         "text_value": pa.array(texts, type=pa.string()),
                         "bool_value": pa.array(bools, type=pa.bool_()),
                         "list_value": pa.array(lists, type=pa.list_(pa.string())),
                         "problem": pa.array(problems, type=pa.string())})

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
        stripped = f"regexp_replace({raw}, {_q(_HOURS_UNIT_RE)}, '')" if column.name == "duration_hours" else raw
        number = (f"CASE WHEN regexp_full_match({stripped}, {_q(_NUMBER_RE)}) "
                  f"THEN TRY_CAST(replace({stripped}, ',', '') AS DOUBLE) END")
        if kind == spec.INTEGER:
            number = f"CASE WHEN {number} = floor({number}) AND abs({number}) < 1e15 THEN CAST({number} AS BIGINT) END"
        # Most cells are plain digits: cast them directly (no regex); the rest take the
        # full path (signs, decimals, thousands separators, units).
        digits_only = f"(ltrim({raw}, '0123456789') = '' AND length({raw}) < 16)"
        plain = f"CAST({raw} AS {'BIGINT' if kind == spec.INTEGER else 'DOUBLE'})"
        return f"CASE WHEN {digits_only} THEN {plain} ELSE {number} END"
    if kind == spec.DATE:
        return f"CASE WHEN regexp_full_match({raw}, {_q(_DATE_RE)}) THEN TRY_CAST(left({raw}, 10) AS DATE) END"
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

# Columns whose text as given is kept for every row, because checks on valid values
# (ranges, cross-field rules, the compliance warnings) report the value as given. For
# the others the text is kept only where it is not a valid value: a million-row file
# then holds one string column less per coded column.
RAW_KEPT = frozenset({"credits", "duration_hours", "assessment", "partner_categories", "enrolments",
                      "completions", "tuition_cad", "end_date"})


@dataclass(frozen=True)
class _Check:
    rule: str
    severity: str
    column: str
    condition: str  # SQL over typed
    message: str  # SQL expression
    expected: str
    value: str | None = None  # SQL expression for the value shown; default raw_<column>


def _checks(present: set[str], present_in: dict[str, list[int]] | None = None) -> list[_Check]:
    checks: list[_Check] = []
    for col in COLUMNS:
        c = col.name
        raw = _ident("raw_" + c)
        val = _ident(c)
        shown = _short(raw)
        if c not in present:
            continue
        if col.required:
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
            checks.append(_Check(rule, SEVERITY_ERROR, c, f"{raw} IS NOT NULL AND {val} IS NULL", msg, col.accepted))
        elif col.kind in (spec.NUMBER, spec.INTEGER):
            what = "a whole number" if col.kind == spec.INTEGER else "a number"
            checks.append(_Check("invalid_number", SEVERITY_ERROR, c, f"{raw} IS NOT NULL AND {val} IS NULL",
                                 f"{shown} || ' is not {what} (expected {col.accepted})'", col.accepted))
            if col.minimum is not None:
                op, words = ("<=", "greater than") if col.minimum_exclusive else ("<", "at least")
                checks.append(_Check("out_of_range", SEVERITY_ERROR, c, f"{val} {op} {col.minimum}",
                                     f"{shown} || ' is out of range: {c} must be {words} {col.minimum:g}'",
                                     col.accepted))
            if col.maximum is not None:
                checks.append(_Check("out_of_range", SEVERITY_ERROR, c, f"{val} > {col.maximum}",
                                     f"{shown} || ' is out of range: {c} must be at most {col.maximum:g}'",
                                     col.accepted))
        elif col.kind == spec.DATE:
            checks.append(_Check("invalid_date", SEVERITY_ERROR, c, f"{raw} IS NOT NULL AND {val} IS NULL",
                                 f"{shown} || ' is not a date (expected {col.accepted})'", col.accepted))
        elif col.kind == spec.NOC_LIST:
            checks.append(_Check("invalid_noc", SEVERITY_ERROR, c, f"{raw} IS NOT NULL AND {val} IS NULL",
                                 f"{shown} || ' is not a list of NOC 2021 codes (expected {col.accepted})'",
                                 col.accepted))
        if col.max_length:
            checks.append(_Check("too_long", SEVERITY_ERROR, c, f"length({raw}) > {col.max_length}",
                                 f"'{c} has ' || length({raw}) || ' characters, more than {col.max_length}'",
                                 col.accepted))
    if "partner_categories" in present:
        accepted = spec.COLUMNS_BY_NAME["partner_categories"].accepted
        raw = _ident("raw_partner_categories")
        checks.append(_Check(
            "invalid_code", SEVERITY_ERROR, "partner_categories", "_partner_problem LIKE 'unknown:%'",
            f"'unknown partner category ' || substr(_partner_problem, 9) || ' (expected {accepted})'", accepted))
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


def validate(con: duckdb.DuckDBPyConnection, raw: RawSubmissionTable,
             institutions: list[spec.Institution]) -> ValidatedFile:
    """Build the temp tables ``typed`` and ``issues`` for one file; return its submission groups."""
    return validate_batch(con, [raw], institutions)[0]


def validate_batch(con: duckdb.DuckDBPyConnection, raws: list[RawSubmissionTable],
                   institutions: list[spec.Institution]) -> list[ValidatedFile]:
    """Validate several files in one pass (each SQL statement has a fixed cost that
    small files would otherwise pay one by one). Rows carry ``_file``, their index in
    ``raws``; submission keys (``_sub``) are unique across the batch."""
    present_in = {c: [n for n, r in enumerate(raws) if c in r.columns] for c in spec.COLUMN_NAMES}
    present = {c for c, files in present_in.items() if files}
    # Cleaned text is a view over the Arrow table; the only full-size copy made is
    # ``typed`` (text and typed value of every column, and the submission key).
    con.register("raw_in", _concat(raws))
    try:
        # Trimmed in an inner projection, so each cell is trimmed once, then unguarded.
        trimmed = ", ".join(f"{_trim_expr(_ident(c))} AS {_ident(c)}" for c in spec.COLUMN_NAMES)
        cleaned = ", ".join(f"{_unguard_expr(_ident(c))} AS {_ident('raw_' + c)}" for c in spec.COLUMN_NAMES)
        con.execute(f"CREATE OR REPLACE TEMP VIEW clean AS SELECT _row, _file, {cleaned} FROM "
                    f"(SELECT {_ident(ROW_COLUMN)} AS _row, _file, {trimmed} FROM raw_in WHERE {_not_blank_row()})")
        mapper = _Mapper(con, institutions)
        mapped = [c for c in COLUMNS if c.kind in MAPPED_KINDS and c.name in present]
        # A small DuckDB table, not a registered Arrow table: the typed query joins it
        # once per coded column, and each join would scan the Arrow table again.
        con.register("code_maps_arrow", mapper.build_all(mapped))
        con.execute("CREATE OR REPLACE TEMP TABLE code_maps AS SELECT * FROM code_maps_arrow")
        con.unregister("code_maps_arrow")
        groups = _assign_submissions(con, mapper)
        # Inner projection: every typed value once (v_<column>); outer: what ``typed`` keeps.
        joins, inner, typed = [], ["c.*", "s.k AS _sub"], ["_row", "_file", "_sub"]
        value_column = {spec.BOOLEAN: "bool_value", spec.CODES: "list_value"}
        for col in COLUMNS:
            raw_col = _ident("raw_" + col.name)
            value = _ident("v_" + col.name)
            if col.kind == spec.TEXT:  # the text is the value: kept once, as raw_<column>
                typed.append(raw_col)
                continue
            if col in mapped:
                alias = f"m_{col.name}"
                joins.append(f"LEFT JOIN code_maps {alias} ON {alias}.col = {_q(col.name)} "
                             f"AND {alias}.raw = c.{raw_col}")
                inner.append(f"{alias}.{value_column.get(col.kind, 'text_value')} AS {value}")
                if col.kind == spec.CODES:
                    inner.append(f"{alias}.problem AS _partner_problem")
            elif col.kind in MAPPED_KINDS:
                inner.append(f"NULL::{col.sql_type} AS {value}")
                if col.kind == spec.CODES:
                    inner.append("NULL::VARCHAR AS _partner_problem")
            else:
                inner.append(f"CAST({_typed_expr(col, 'c.' + raw_col)} AS {col.sql_type}) AS {value}")
            typed.append(f"{value} AS {_ident(col.name)}")
            if col.kind == spec.CODES:
                typed.append("_partner_problem")
            if col.name in RAW_KEPT:
                typed.append(raw_col)
            else:  # the text as given is needed only where it is not a valid value
                typed.append(f"CASE WHEN {value} IS NULL THEN {raw_col} END AS {raw_col}")
        joins.append("JOIN sub_map s ON s.f = c._file AND s.ir IS NOT DISTINCT FROM c.raw_institution_code "
                     "AND s.pr IS NOT DISTINCT FROM c.raw_reporting_period")
        con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS SELECT {', '.join(typed)} "
                    f"FROM (SELECT {', '.join(inner)} FROM clean c {' '.join(joins)})")
    finally:
        con.execute("DROP VIEW IF EXISTS clean")
        con.execute("DROP TABLE IF EXISTS code_maps")
        for name in ("raw_in", "sub_map"):
            with contextlib.suppress(Exception):
                con.unregister(name)
    for raw in raws:  # the rows now live in ``typed``: let the reader's copy go
        raw.table = raw.table.schema.empty_table()

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

    checks = _checks(present, present_in)
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
        results.append(ValidatedFile(raw, file_groups, file_issues))
    return results


def _concat(raws: list[RawSubmissionTable]) -> pa.Table:
    """One table of every file's rows with every canonical column (absent ones null)."""
    parts = []
    for n, raw in enumerate(raws):
        t = raw.table
        arrays = [t.column(ROW_COLUMN), pa.array([n] * t.num_rows, type=pa.int32())]
        for name in spec.COLUMN_NAMES:
            arrays.append(t.column(name) if name in t.column_names else pa.nulls(t.num_rows, type=pa.string()))
        parts.append(pa.table(arrays, names=[ROW_COLUMN, "_file", *spec.COLUMN_NAMES]))
    return pa.concat_tables(parts)


def _assign_submissions(con: duckdb.DuckDBPyConnection, mapper: _Mapper) -> list[SubmissionGroup]:
    """Register ``sub_map`` (file, institution and period as written -> submission key).

    A row whose institution or period is missing or invalid joins its file's only valid
    one when there is exactly one (its error still counts there); otherwise it forms a
    submission of its own, which is rejected."""
    combos = con.execute(f"""
        SELECT DISTINCT _file, {_clean_expr('institution_code')} AS raw_institution_code,
               {_clean_expr('reporting_period')} AS raw_reporting_period
        FROM raw_in WHERE {_not_blank_row()} ORDER BY ALL
    """).fetchall()
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
    keys: dict[tuple, SubmissionGroup] = {}
    mapping = []
    for f, inst_raw, period_raw, inst, period in resolved:
        insts, periods = valid_insts.get(f, set()), valid_periods.get(f, set())
        g_inst = inst if inst is not None else (next(iter(insts)) if len(insts) == 1 else None)
        g_period = period if period is not None else (next(iter(periods)) if len(periods) == 1 else None)
        key = (f, g_inst, None if g_inst else inst_raw, g_period, None if g_period else period_raw)
        if key not in keys:
            keys[key] = SubmissionGroup(len(keys) + 1, g_inst, inst_raw or g_inst, g_period,
                                        period_raw or g_period, file_index=f)
        mapping.append((f, inst_raw, period_raw, keys[key].key))
    con.register("sub_map", pa.table({
        "f": pa.array([m[0] for m in mapping], type=pa.int32()),
        "ir": pa.array([m[1] for m in mapping], type=pa.string()),
        "pr": pa.array([m[2] for m in mapping], type=pa.string()),
        "k": pa.array([m[3] for m in mapping], type=pa.int32()),
    }))
    return sorted(keys.values(), key=lambda g: g.key)
