"""Validation issues as downloads the ministry can send back to an institution.

``GET /export/issues.csv`` and ``/export/issues.xlsx`` take the page's filters
(``period``, ``institution``, ``sector``, ``region``) and ``submission``, ``cell``
(``BCIT_2024/25``: that pair's most recent file), ``severity`` (error or warning) and
``column``. Rows carry the row number as the institution sees it in its own file.

No cell can run as a formula: CSV text cells that begin with = + - @ tab or CR get
Excel's text marker ``'``; XLSX text cells are written as text (never formulas).
Big lists stream (CSV, pyarrow) or are written a batch at a time (XLSX, dashboard.xlsx).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.csv as pacsv
from flask import Flask, Response, request

from dashboard import context, queries
from dashboard import submission_queries as sq
from dashboard.cell_safety import guard_text, neutralise_batch
from dashboard.db import Database, NoWarehouse
from dashboard.filters import FilterError, Filters
from dashboard.xlsx import write_xlsx

XLSX_MAX_ROWS = 1_048_575  # Excel's limit, less the header row: more is refused (HTTP 413)
ROW_NUMBER_NOTE = ("row is the row number in the institution's own file, as a spreadsheet shows it "
                   "(the header row's number + n)")


class BadRequest(Exception):
    """The request's parameters are wrong; the message says what is accepted."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# --- formula safety ------------------------------------------------------------------------


def csv_cell(value) -> str:
    """A value as CSV text; text that Excel would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, str):
        return guard_text(value)
    return str(value)


# --- the scope of a request ------------------------------------------------------------------


def scope_from_query(db: Database, args) -> tuple[sq.IssueScope, str]:
    """(IssueScope, file name stem) from a request's query; BadRequest when it is wrong."""
    vocab = sq.page_vocabulary(db, queries.vocabulary(db))
    query = {k: args.getlist(k) for k in args}
    try:
        filters, _ = Filters.parse(query, vocab, strict=True)
    except FilterError as exc:
        raise BadRequest(str(exc)) from None
    severity = (args.get("severity") or "").strip().lower() or None
    if severity in ("all", "any"):
        severity = None
    if severity is not None and severity not in sq.SEVERITIES:
        raise BadRequest(f"unknown severity {severity!r}: accepted values are error, warning, all")
    column = (args.get("column") or "").strip() or None
    submission_id = None
    text = (args.get("submission") or "").strip()
    cell_text = (args.get("cell") or "").strip()
    if text:
        if not text.isdigit():
            raise BadRequest(f"submission must be a submission number, not {text!r}")
        submission_id = int(text)
    elif cell_text:
        cell = sq.parse_cell(cell_text)
        if cell is None:
            raise BadRequest(f"cell must look like BCIT_2024/25, not {cell_text!r}")
        submission_id = sq.latest_submission(db, *cell)
        if submission_id is None:
            raise BadRequest(f"{cell[0]} has no submission for {cell[1]}", status=404)
    if submission_id is not None:
        info = sq.submission_info(db, submission_id)
        if info is None:
            raise BadRequest(f"there is no submission {submission_id}", status=404)
        period = info["reporting_period"]
        parts = ["issues", info["institution_code"] or "unknown", period or "", f"submission-{submission_id}"]
    else:
        period = sq.selected_period(filters, vocab)
        if period is None:
            raise BadRequest("no fiscal year has submissions yet")
        chosen = list(filters.institution) if 0 < len(filters.institution) <= 3 else []
        parts = ["issues", *chosen, period]
    if severity:
        parts.append(f"{severity}s")
    if column:
        parts.append(column)
    stem = "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", p.replace("/", "-")).strip("-") for p in parts if p)
    return sq.IssueScope(period, filters, submission_id, severity, column), stem


def describe_scope(db: Database, scope: sq.IssueScope) -> str:
    if scope.submission_id is not None:
        info = sq.submission_info(db, scope.submission_id)
        return (f"submission {scope.submission_id}: {info['file_name']} ({info['institution_code']}, "
                f"{info['reporting_period']}, {info['status']})")
    vocab = queries.vocabulary(db)
    described = [f"{n}: " + ", ".join(vocab.label(n, v) for v in vals) for n, vals in scope.filters.active()
                 if n in sq.LOCATION_PARAMETERS]
    return (f"{scope.period}: each institution's most recent file"
            + (f" ({'; '.join(described)})" if described else ""))


# --- writers -----------------------------------------------------------------------------------


def csv_chunks(batches: Iterable[pa.RecordBatch], columns: list[str]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (Excel reads it right), one chunk per batch.

    pyarrow writes the CSV (quoting text, doubling quotes): about ten times faster than
    the csv module on a list of a few hundred thousand issues.
    """
    buffer = io.BytesIO()
    buffer.write("\ufeff".encode())
    writer = None
    for batch in batches:
        batch = neutralise_batch(batch)
        if writer is None:
            writer = pacsv.CSVWriter(buffer, batch.schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
        writer.write_batch(batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if writer is None:
        buffer.write((",".join(f'"{c}"' for c in columns) + "\n").encode())
    else:
        writer.close()
    yield buffer.getvalue()


def xlsx_bytes(batches: Iterable[pa.RecordBatch], columns: list[str], about: list[tuple[str, object]]) -> bytes:
    """An .xlsx with the issues on sheet 'issues' and what they are on sheet 'about'."""
    out = io.BytesIO()
    write_xlsx(out, "issues", columns, batches, lambda rows: [*about, ("rows", rows)])
    return out.getvalue()


# --- routes ----------------------------------------------------------------------------------------


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def _error(exc: BadRequest | NoWarehouse) -> Response:
    status = exc.status if isinstance(exc, BadRequest) else 503
    return Response(str(exc) + "\n", status=status, mimetype="text/plain")


def register_routes(server: Flask) -> None:
    """Add the issue downloads to the dashboard's Flask server."""

    @server.get("/export/issues.csv")
    def export_issues_csv():
        db = context.db()
        try:
            scope, stem = scope_from_query(db, request.args)
        except (BadRequest, NoWarehouse) as exc:
            return _error(exc)
        columns = [name for name, _ in sq.ISSUE_EXPORT_COLUMNS]
        return Response(csv_chunks(sq.issue_batches(db, scope), columns), mimetype="text/csv",
                        headers=_attachment(f"{stem}.csv"))

    @server.get("/export/issues.xlsx")
    def export_issues_xlsx():
        db = context.db()
        try:
            scope, stem = scope_from_query(db, request.args)
        except (BadRequest, NoWarehouse) as exc:
            return _error(exc)
        total = sq.issue_counts(db, scope)["total"]
        if total > XLSX_MAX_ROWS:
            return _error(BadRequest(f"{total:,} issues are more than an .xlsx holds ({XLSX_MAX_ROWS:,} rows): "
                                     "download the CSV, or choose a severity, column or institution", status=413))
        version = queries.data_version(db)
        about = [
            ("scope", describe_scope(db, scope)),
            ("severity", scope.severity or "errors and warnings"),
            ("column", scope.column or "all"),
            ("row numbers", ROW_NUMBER_NOTE),
            ("data version", version["version"]),
            ("generated at", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ]
        columns = [name for name, _ in sq.ISSUE_EXPORT_COLUMNS]
        body = xlsx_bytes(sq.issue_batches(db, scope), columns, about)
        return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers=_attachment(f"{stem}.xlsx"))
