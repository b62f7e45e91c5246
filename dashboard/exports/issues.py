"""Validation issues as downloads the ministry can send back to an institution.

``GET /export/issues.csv`` and ``/export/issues.xlsx`` take the page's filters
(``period``, ``institution``, ``sector``, ``region``) and its issue selection
(``submission``, ``cell``: ``BCIT_2024/25``, that pair's most recent file, ``severity``,
``column``), read by ``dashboard.data.state.IssueSelection`` and looked up by
``dashboard.data.submissions.resolve_issues``, exactly as the page does; and the list's
``sort`` and ``headers`` (dashboard.data.tables.ISSUE_TABLE). A download holds the list's
columns in its order, its rows sorted as the page sorts them (every row: the page shows
the first ones). Rows carry the row number as the institution sees it in its own file.

No cell can run as a formula: CSV text cells that begin with = + - @ tab or CR get
Excel's text marker ``'``; XLSX text cells are written as text (never formulas).
Big lists stream (CSV, pyarrow) or are written a batch at a time (XLSX, dashboard/exports/xlsx.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from dashboard.data import submissions as sq
from dashboard.data.database import Reader
from dashboard.data.filters import Filters
from dashboard.data.reference import data_version, vocabulary
from dashboard.data.state import IssueRequestError, IssueSelection
from dashboard.data.tables import ISSUE_TABLE
from dashboard.exports import formats
from dashboard.exports.csv import cell, csv_chunks
from dashboard.exports.errors import ExportError, table_request
from dashboard.exports.names import issues_name
from dashboard.exports.xlsx import write_xlsx

__all__ = ["csv_cell", "csv_chunks"]

ROW_NUMBER_NOTE = (
    "row is the row number in the institution's own file, as a spreadsheet shows it (the header row's number + n)"
)
csv_cell = cell


def scope_from_query(reader: Reader, query: Mapping[str, Any]) -> tuple[sq.IssueScope, list[str]]:
    """(IssueScope, file name parts) from a request's query; ExportError when it is wrong."""
    vocab = sq.page_vocabulary(reader, vocabulary(reader))
    filters, _ = Filters.parse(query, vocab, strict=True)
    try:
        selection = IssueSelection.parse(query, strict=True)
    except IssueRequestError as exc:
        raise ExportError(str(exc), status=exc.status) from None
    found = sq.resolve_issues(reader, filters, vocab, selection)
    if found.problem:
        raise ExportError(found.problem, status=found.status)
    scope, info = found.scope, found.submission
    if info is not None:
        parts = [
            "issues",
            info["institution_code"] or "unknown",
            info["reporting_period"] or "",
            f"submission-{scope.submission_id}",
        ]
    else:
        chosen = list(filters.institution) if 0 < len(filters.institution) <= 3 else []
        parts = ["issues", *chosen, scope.period or ""]
    if scope.severity:
        parts.append(f"{scope.severity}s")
    if scope.column:
        parts.append(scope.column)
    return scope, parts


def describe_scope(reader: Reader, scope: sq.IssueScope) -> str:
    if scope.submission_id is not None:
        info = sq.submission_info(reader, scope.submission_id) or {}
        return (
            f"submission {scope.submission_id}: {info.get('file_name')} ({info.get('institution_code')}, "
            f"{info.get('reporting_period')}, {info.get('status')})"
        )
    vocab = vocabulary(reader)
    described = [
        f"{n}: " + ", ".join(vocab.label(n, v) for v in vals)
        for n, vals in scope.filters.active()
        if n in sq.LOCATION_PARAMETERS
    ]
    return f"{scope.period}: each institution's most recent file" + (f" ({'; '.join(described)})" if described else "")


def issues_csv(
    reader: Reader, query: Mapping[str, Any], counter: list[int] | None = None
) -> tuple[Iterator[bytes], str]:
    """(CSV chunks, file name): every issue of the scope, streamed, as the page lists them; the
    rows sent are added to ``counter``."""
    wanted = table_request(ISSUE_TABLE, query)
    scope, parts = scope_from_query(reader, query)
    batches = sq.issue_batches(reader, scope, sort=wanted.sort, headers=wanted.headers)
    return csv_chunks(batches, ISSUE_TABLE.header(wanted.headers), counter=counter), issues_name(parts, "csv")


def xlsx_bytes(
    batches: Iterable[pa.RecordBatch],
    columns: list[str],
    about: list[tuple[str, object]],
    counter: list[int] | None = None,
) -> bytes:
    """An .xlsx with the issues on sheet 'issues' and what they are on sheet 'about'; the rows
    written are added to ``counter`` (the export audit's)."""
    out = io.BytesIO()
    rows = write_xlsx(out, "issues", columns, batches, lambda rows: [*about, ("rows", rows)])
    if counter is not None:
        counter[0] += rows
    return out.getvalue()


def issues_xlsx(reader: Reader, query: Mapping[str, Any], counter: list[int] | None = None) -> tuple[bytes, str]:
    """(workbook bytes, file name); ExportError (413) when the issues do not fit on a worksheet.
    The rows written are added to ``counter``."""
    wanted = table_request(ISSUE_TABLE, query)
    scope, parts = scope_from_query(reader, query)
    formats.check_fits_xlsx(
        sq.issue_counts(reader, scope)["total"],
        "{rows:,} issues are more than an .xlsx holds ({limit:,} rows): download the CSV, or "
        "choose a severity, column or institution",
    )
    about = [
        ("scope", describe_scope(reader, scope)),
        ("severity", scope.severity or "errors and warnings"),
        ("column", scope.column or "all"),
        ("sorted by", ISSUE_TABLE.describe_sort(wanted.sort)),
        ("row numbers", ROW_NUMBER_NOTE),
        ("data version", data_version(reader)["version"]),
        ("generated at", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")),
    ]
    batches = sq.issue_batches(reader, scope, sort=wanted.sort, headers=wanted.headers)
    return xlsx_bytes(batches, ISSUE_TABLE.header(wanted.headers), about, counter), issues_name(parts, "xlsx")
