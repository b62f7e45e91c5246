"""Check and normalise a submission table column-wise.

The raw text cells from ``etl.readers`` are cleaned and, where that is plain, typed in
Arrow (``etl.columnar``); coded values (types, booleans, periods, institutions...) are
few, so each distinct spelling is matched once in Python by the same normaliser as the
headers. The result is registered on the given connection as ``prepared``, under two
temporary objects:

- ``typed`` (a view): one row per data row, each column both as cleaned text
  (``raw_<c>``) and as its typed, canonical value (``<c>``, NULL when missing or
  invalid), plus ``_sub``, the submission (institution, period pair) the row belongs to.
  Arrow types every column by the same rules as the SQL in :func:`etl.validate.typed.typed_sql`; a
  column it cannot follow (a year-zero date) is typed by that SQL in the view;
- ``issues`` (a table): every problem, with the row number a person sees in the file.

No per-cell Python loop touches a million rows, and no full-size copy of the rows is
made: ``typed`` reads the Arrow columns in place (``etl.load`` records every submission
of the batch from it in one statement per table). :func:`release` drops them.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl import columnar, spec
from etl.arrays import from_numpy, scalar, to_numpy
from etl.readers import ROW_COLUMN, RawSubmissionTable
from etl.spec import COLUMNS, SEVERITY_ERROR, SEVERITY_WARNING, Column, Issue
from etl.sql import identifier, literal
from etl.validate.checks import Facts, checks_for, display_sql
from etl.validate.matching import MAPPED_KINDS, Mapper
from etl.validate.typed import arrow_typed, typed_sql


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
    """The batch's rows behind ``typed`` (registered as ``prepared``)."""

    table: pa.Table
    columns_sql: str  # the select list of ``typed``

    def select(self, relation: str) -> str:
        return f"SELECT {self.columns_sql} FROM {relation}"


@dataclass
class ValidatedFile:
    raw: RawSubmissionTable
    groups: list[SubmissionGroup]
    file_issues: list[Issue] = field(default_factory=list)
    rows: PreparedRows | None = None

    @property
    def file_rejected(self) -> bool:
        return any(i.severity == SEVERITY_ERROR for i in self.file_issues)


def validate_batch(
    con: duckdb.DuckDBPyConnection,
    raws: list[RawSubmissionTable],
    institutions: list[spec.Institution],
    periods: tuple[str, str] | None = None,
) -> list[ValidatedFile]:
    """Validate several files in one pass (each SQL statement has a fixed cost that
    small files would otherwise pay one by one). Rows carry ``_file``, their index in
    ``raws``; submission keys (``_sub``) are unique across the batch. Leaves ``typed``
    and ``issues`` on ``con`` until :func:`release`."""
    present_in = {c: [n for n, r in enumerate(raws) if c in r.columns] for c in spec.COLUMN_NAMES}
    present = {c for c, files in present_in.items() if files}
    prepared, groups, sql_typed, facts = _prepare(_concat(raws), Mapper(institutions, periods), present)
    for raw in raws:  # the rows now live in ``prepared``: let the reader's references go
        raw.table = pa.Table.from_batches([], schema=raw.table.schema)
    con.register("prepared", prepared)
    columns = ["_row", "_file", "_sub"]
    for col in COLUMNS:
        raw_col = identifier("raw_" + col.name)
        if col.kind != spec.TEXT:  # for a text the text is the value: raw_<column> only
            if col.name in sql_typed:
                value = f"CAST({typed_sql(col, raw_col)} AS {col.sql_type})"
            elif col.name in present:
                value = identifier("v_" + col.name)
            else:
                value = f"NULL::{col.sql_type}"
            columns.append(f"{value} AS {identifier(col.name)}")
        columns.append(raw_col)
    columns.append("_partner_problem" if "partner_categories" in present else "NULL::VARCHAR AS _partner_problem")
    rows = PreparedRows(prepared, ", ".join(columns))
    con.execute(f"CREATE OR REPLACE TEMP VIEW typed AS {rows.select('prepared')}")
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

    checks = checks_for(present, present_in, facts)
    # One pass over the rows: each check contributes a struct when it fires. Rows that
    # fire none (most of them) are let through by the cheap conditions alone.
    any_issue = " OR ".join(f"coalesce({chk.condition}, false)" for chk in checks) or "false"
    found = ", ".join(
        f"CASE WHEN {chk.condition} THEN {{'severity': {literal(chk.severity)}, 'rule': {literal(chk.rule)}, "
        f"'column_name': {literal(chk.column)}, 'value': {display_sql(chk.value or identifier('raw_' + chk.column))}, "
        f"'expected': {literal(chk.expected)}, 'message': {chk.message}}} END"
        for chk in checks
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE issues AS
        SELECT _sub, _row, f.severity, f.rule, f.column_name, f.value, f.expected, f.message
        FROM (SELECT _sub, _row, unnest(list_filter([{found}], lambda x: x IS NOT NULL)) AS f
              FROM {rows_with_repeats} WHERE {any_issue})
    """
        if checks
        else """
        CREATE OR REPLACE TEMP TABLE issues (_sub INTEGER, _row BIGINT, severity VARCHAR, rule VARCHAR,
            column_name VARCHAR, value VARCHAR, expected VARCHAR, message VARCHAR)
    """
    )

    counts = {
        r[0]: r[1:]
        for r in con.execute("""
        SELECT t._sub, count(*) AS rows_total,
               count(*) FILTER (WHERE e._row IS NOT NULL) AS rows_with_errors
        FROM typed t
        LEFT JOIN (SELECT DISTINCT _sub, _row FROM issues WHERE severity = 'error') e
          ON e._sub = t._sub AND e._row = t._row
        GROUP BY t._sub
    """).fetchall()
    }
    issue_counts = {
        (r[0], r[1]): r[2] for r in con.execute("SELECT _sub, severity, count(*) FROM issues GROUP BY ALL").fetchall()
    }
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
            file_issues.append(
                Issue(
                    SEVERITY_ERROR,
                    "the file has a header row but no data rows",
                    raw.file_name,
                    raw.sheet,
                    raw.header_row,
                    None,
                    None,
                    "at least one offering",
                    rule="no_rows",
                )
            )
        results.append(ValidatedFile(raw, file_groups, file_issues, rows))
    return results


def release(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what :func:`validate_batch` left on the connection (and the rows)."""
    con.execute("DROP VIEW IF EXISTS typed")
    con.execute("DROP TABLE IF EXISTS issues")
    with contextlib.suppress(Exception):
        con.unregister("prepared")


def _concat(raws: list[RawSubmissionTable]) -> pa.Table:
    """One table of every file's rows with every canonical column (absent ones null)."""
    parts = []
    for n, raw in enumerate(raws):
        t = raw.table
        arrays = [t.column(ROW_COLUMN), pa.repeat(scalar(n, pa.int32()), t.num_rows)]
        for name in spec.COLUMN_NAMES:
            arrays.append(t.column(name) if name in t.column_names else pa.nulls(t.num_rows, type=pa.string()))
        parts.append(pa.table(arrays, names=[ROW_COLUMN, "_file", *spec.COLUMN_NAMES]))
    return pa.concat_tables(parts)


# Columns worked on at once: each holds its temporary arrays meanwhile, so a many-core
# machine does not get a memory peak that grows with its cores.
PREPARE_THREADS = min(4, os.cpu_count() or 2)


def _prepare(
    rows: pa.Table, mapper: Mapper, present: set[str]
) -> tuple[pa.Table, list[SubmissionGroup], set[str], Facts]:
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
        typed = dict(
            zip(
                (col.name for col in to_type),
                pool.map(lambda col: _type_column(col, cleaned[col.name], mapper), to_type),
            )
        )
    names, arrays = ["_row", "_file"], [row_numbers, files]
    facts = Facts()
    facts.periods = mapper.periods
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
    keyed = {
        name: (typed[name][2] if name in typed else None) or columnar.codes(cleaned[name])
        for name in ("institution_code", "reporting_period")
    }
    groups, submission = _assign_submissions(files, keyed["institution_code"], keyed["reporting_period"], mapper)
    names.append("_sub")
    arrays.append(submission)
    return pa.table(arrays, names=names), groups, sql_typed, facts


def _type_column(
    col: Column, values: pa.ChunkedArray, mapper: Mapper
) -> tuple[pa.ChunkedArray | None, pa.ChunkedArray | None, tuple[pa.Array, pa.ChunkedArray] | None]:
    """(typed values or None for the SQL rule, a partner cell's problems, (distinct, index) of a code)."""
    if col.kind in MAPPED_KINDS:
        distinct, index = columnar.codes(values)
        typed, problems = mapper.map_column(col, distinct, index)
        return typed, problems, (distinct, index)
    return arrow_typed(col, values), None, None


def _assign_submissions(
    files: pa.ChunkedArray,
    institutions: tuple[pa.Array, pa.ChunkedArray],
    periods: tuple[pa.Array, pa.ChunkedArray],
    mapper: Mapper,
) -> tuple[list[SubmissionGroup], pa.Array]:
    """The submission key of every row, from its file and its institution and period as written.

    A row whose institution or period is missing or invalid joins its file's only valid
    one when there is exactly one (its error still counts there); otherwise it forms a
    submission of its own, which is rejected."""
    (inst_values, inst_index), (period_values, period_index) = institutions, periods
    n_inst, n_period = len(inst_values), len(period_values)
    combined = (to_numpy(files).astype(np.int64) * n_inst + to_numpy(inst_index)) * n_period + to_numpy(period_index)
    distinct, row_combo = _distinct(combined)
    inst_texts, period_texts = inst_values.to_pylist(), period_values.to_pylist()
    combos = [
        (int(k // (n_inst * n_period)), inst_texts[int(k // n_period % n_inst)], period_texts[int(k % n_period)])
        for k in distinct
    ]
    resolved: list[tuple[int, str | None, str | None, str | None, str | None]] = []
    valid_insts: dict[int, set[str]] = {}
    valid_periods: dict[int, set[str]] = {}
    for f, inst_raw, period_raw in combos:
        inst = mapper.match_institution(inst_raw) if inst_raw is not None else None
        period = mapper.parse_period(period_raw) if period_raw is not None else None
        resolved.append((f, inst_raw, period_raw, inst, period))
        if inst is not None:
            valid_insts.setdefault(f, set()).add(inst)
        if period is not None:
            valid_periods.setdefault(f, set()).add(period)
    # Keys are numbered in the order of (file, institution, period) as written, missing last.
    order = sorted(
        range(len(resolved)),
        key=lambda i: (
            resolved[i][0],
            resolved[i][1] is None,
            resolved[i][1] or "",
            resolved[i][2] is None,
            resolved[i][2] or "",
        ),
    )
    keys: dict[tuple[int, str | None, str | None, str | None, str | None], SubmissionGroup] = {}
    combo_key = np.zeros(len(resolved), dtype=np.int32)
    for i in order:
        f, inst_raw, period_raw, inst, period = resolved[i]
        insts, periods_ = valid_insts.get(f, set()), valid_periods.get(f, set())
        g_inst = inst if inst is not None else (next(iter(insts)) if len(insts) == 1 else None)
        g_period = period if period is not None else (next(iter(periods_)) if len(periods_) == 1 else None)
        key = (f, g_inst, None if g_inst else inst_raw, g_period, None if g_period else period_raw)
        if key not in keys:
            keys[key] = SubmissionGroup(
                len(keys) + 1, g_inst, inst_raw or g_inst, g_period, period_raw or g_period, file_index=f
            )
        combo_key[i] = keys[key].key
    groups = sorted(keys.values(), key=lambda g: g.key)
    return groups, from_numpy(combo_key[row_combo.reshape(-1)])


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` of non-negative integers; by a table of every
    possible key when there are no more of those than rows (a file's institution and period
    pairs: 125 of them over 1M rows): 20 ms where sorting the rows takes 150 ms."""
    size = int(keys.max()) + 1 if len(keys) else 0
    if size > max(len(keys), 1 << 16):
        return np.unique(keys, return_inverse=True)
    seen = np.zeros(size, dtype=bool)
    seen[keys] = True
    distinct = np.flatnonzero(seen)
    position = np.zeros(size, dtype=np.int64)
    position[distinct] = np.arange(len(distinct))
    return distinct, position[keys]
