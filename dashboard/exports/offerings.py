"""Downloads of the current offerings (CSV, XLSX, Parquet).

One function, ``export_to_file``, writes an export for the Flask routes and for
``mcred export`` alike; ``parse_filters`` reads a request or the CLI's options into the
shared Filters and the explorer's state (``columns``, ``q-<column>`` grid filters, ``sort``,
``headers``), and the rows come from ``dashboard.data.explore.export_sql``, so the explorer
grid, the endpoints and the command line apply them identically. No Flask here:
``mcred export`` imports this module.

Spreadsheet safety: in CSV a text cell starting with ``= + - @``, a tab or a carriage
return gets a leading ``'`` (done in SQL; the loader drops it again, so a CSV export
is itself a valid submission file); in XLSX every text cell is written as a string,
never as a formula.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from dashboard.data import explore, scope
from dashboard.data.database import Database, Reader
from dashboard.data.filters import Filters, Vocabulary
from dashboard.data.reference import data_version, vocabulary
from dashboard.data.state import ExploreState
from dashboard.exports import formats
from dashboard.exports.csv import arrow_csv, counted
from dashboard.exports.errors import ExportError
from dashboard.exports.formats import BOM, FORMATS, MEDIA_TYPES
from dashboard.exports.names import offerings_name as file_name
from dashboard.exports.xlsx import write_xlsx

__all__ = [
    "BOM",
    "FORMATS",
    "MEDIA_TYPES",
    "ExportError",
    "about",
    "csv_chunks",
    "export_to_file",
    "file_name",
    "parse_filters",
]

SEARCH_PARAM = ExploreState.PARAMETERS[0]
CSV_BATCH_ROWS = 16_384  # about 7 MB of CSV per chunk: small enough to keep the server's memory flat
XLSX_BATCH_ROWS = 10_000  # rows become Python objects one batch at a time: keep the batch small
LABELS_NOTE = (
    "labels: the screen's column names and labelled values, for people; this file is not a submission "
    "file (export with headers=codes, the default, for one that loads back)"
)
CODES_NOTE = "codes: field names and codes of the submission format"


# --- what is exported -------------------------------------------------------------------


def parse_filters(query: Mapping[str, Any], vocabulary: Vocabulary) -> tuple[Filters, ExploreState]:
    """(filters, explorer state: title search, columns, grid filters, sort, headers) from a URL
    query or the CLI's options. Unknown values raise ExploreRequestError or FilterError, each
    problem naming the parameter and what it accepts (HTTP 400, exit 2)."""
    state = ExploreState.parse(query, strict=True)
    filters, _ = Filters.parse(query, vocabulary, strict=True)
    return filters, state


def _as_state(state: ExploreState | str | None) -> ExploreState:
    return state if isinstance(state, ExploreState) else ExploreState(search=state or None)


def about(
    reader: Reader, filters: Filters, vocabulary: Vocabulary, rows: int, state: ExploreState | str | None = None
) -> dict[str, str]:
    """What an export holds: filters, columns, grid filters, sort, headers, row count, data version,
    generation time (the XLSX about sheet, the Parquet metadata)."""
    state = _as_state(state)
    version = data_version(reader)
    described = filters.describe(vocabulary)
    if state.search:
        described += f"; title contains: {state.search}"
    return {
        "filters": described,
        "grid_filters": state.describe_filters(),
        "sort": state.describe_sort(),
        "columns": ", ".join(state.export_columns()),
        "headers": LABELS_NOTE if state.headers == "labels" else CODES_NOTE,
        "query": filters.to_search(state.to_query()).lstrip("?") or "(none: latest fiscal year)",
        "rows": str(rows),
        "data_version": str(version["version"]),
        "data_published_at": str(version["published_at"]),
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "source": "mcred current_offerings view (the latest accepted submission per institution and period)",
    }


# --- writers ------------------------------------------------------------------------------


def _sql(reader: Reader, filters: Filters, state: ExploreState, guard_formulas: bool = False) -> explore.Expr:
    return explore.export_sql(filters, state, guard_formulas, explore.labels_of(vocabulary(reader)))


def _csv_batches(reader: Reader, filters: Filters, state: ExploreState) -> Iterator[tuple[bytes, int]]:
    sql, params = _sql(reader, filters, state, guard_formulas=True)
    return arrow_csv(
        reader.arrow_batches(sql, params, batch_rows=CSV_BATCH_ROWS), explore.export_headers(state), neutralise=False
    )


def csv_chunks(
    reader: Reader, filters: Filters, state: ExploreState | str | None = None, counter: list[int] | None = None
) -> Iterator[bytes]:
    """The CSV export as a stream of byte chunks (one per Arrow batch), UTF-8 with a BOM for Excel.
    The viewer's scope is applied before the first byte (a refusal is a whole HTTP 403). Each
    chunk adds its rows to ``counter`` as it goes out (the export audit reads it at the end)."""
    scoped = scope.row_filters(reader, filters)
    return counted(_csv_batches(reader, scoped, _as_state(state)), counter)


def _write_xlsx(reader: Reader, filters: Filters, vocabulary: Vocabulary, state: ExploreState, target: BinaryIO) -> int:
    sql, params = _sql(reader, filters, state)
    return write_xlsx(
        target,
        "offerings",
        explore.export_headers(state),
        reader.arrow_batches(sql, params, batch_rows=XLSX_BATCH_ROWS),
        lambda rows: about(reader, filters, vocabulary, rows, state).items(),
    )


def _write_parquet(
    reader: Reader, filters: Filters, vocabulary: Vocabulary, state: ExploreState, target: BinaryIO
) -> int:
    """Parquet, with ``about`` in the file's key-value metadata and in the Arrow schema's
    metadata (pyarrow.parquet.read_table(...).schema.metadata shows it)."""
    import pyarrow.parquet as pq

    sql, params = _sql(reader, filters, state)
    batches = reader.arrow_batches(sql, params)
    first = next(batches, None)
    schema = (
        first.schema
        if first is not None
        else pa.Schema.from_pandas(reader.frame(f"SELECT * FROM ({sql}) LIMIT 0", params), preserve_index=False)
    )
    # The schema goes first in the file, so its copy of ``about`` counts the rows beforehand.
    described = about(reader, filters, vocabulary, explore.count(reader, filters, state), state)
    schema = schema.with_metadata(described)
    rows = 0
    writer = pq.ParquetWriter(target, schema, compression="zstd")
    try:
        for batch in [] if first is None else [first]:
            writer.write_batch(batch)
            rows += batch.num_rows
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
        writer.add_key_value_metadata({**described, "rows": str(rows)})
    finally:
        writer.close()
    return rows


def export_to_file(
    db: Reader | Database | Path | str,
    filters: Filters,
    fmt: str,
    stream: BinaryIO,
    state: ExploreState | str | None = None,
) -> int:
    """Write the offerings matching ``filters`` and the explorer state (title search, grid filters,
    sort, columns, headers; a plain string: a title search) to ``stream`` as csv, xlsx or parquet;
    returns the number of rows. The endpoints and ``mcred export`` both call this."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: formats are {', '.join(FORMATS)}", status=404)
    state = _as_state(state)
    reader = db if isinstance(db, Reader) else (db if isinstance(db, Database) else Database(Path(db))).reader()
    filters = scope.row_filters(reader, filters)
    vocab = vocabulary(reader)
    if fmt == "csv":
        rows = 0
        for chunk, n in _csv_batches(reader, filters, state):
            stream.write(chunk)
            rows += n
        return rows
    if fmt == "xlsx":
        formats.check_fits_xlsx(
            explore.count(reader, filters, state),
            "{rows:,} rows do not fit in an Excel worksheet ({limit:,} at most): "
            "narrow the filters, or export csv or parquet",
        )
    writer = _write_xlsx if fmt == "xlsx" else _write_parquet
    if _seekable(stream):
        return writer(reader, filters, vocab, state, stream)
    # zip and Parquet footers want a seekable file: build it aside, then copy (e.g. to a pipe).
    with tempfile.TemporaryFile() as tmp:
        rows = writer(reader, filters, vocab, state, tmp)
        tmp.seek(0)
        shutil.copyfileobj(tmp, stream, 1 << 20)
    return rows


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False
