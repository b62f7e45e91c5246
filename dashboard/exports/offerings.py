"""Downloads of the current offerings (CSV, XLSX, Parquet).

One function, ``export_to_file``, writes an export for the Flask routes and for
``mcred export`` alike; the rows come from ``dashboard.data.explore.export_sql``, so the
explorer grid, the endpoints and the command line apply the filters identically. No
Flask here: ``mcred export`` imports this module.

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
from dashboard.exports.csv import arrow_csv
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


# --- what is exported -------------------------------------------------------------------


def parse_filters(query: Mapping[str, Any], vocabulary: Vocabulary) -> tuple[Filters, str | None]:
    """(filters, title search) from a URL query or the CLI's options; unknown values raise FilterError."""
    filters, _ = Filters.parse(query, vocabulary, strict=True)
    return filters, ExploreState.parse(query).search


def about(
    reader: Reader, filters: Filters, vocabulary: Vocabulary, rows: int, search: str | None = None
) -> dict[str, str]:
    """What an export holds: filters, row count, data version, generation time (XLSX sheet, Parquet metadata)."""
    version = data_version(reader)
    described = filters.describe(vocabulary)
    if search:
        described += f"; title contains: {search}"
    return {
        "filters": described,
        "query": filters.to_search(ExploreState(search).to_query()).lstrip("?") or "(none: latest fiscal year)",
        "rows": str(rows),
        "data_version": str(version["version"]),
        "data_published_at": str(version["published_at"]),
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "source": "mcred current_offerings view (the latest accepted submission per institution and period)",
    }


# --- writers ------------------------------------------------------------------------------


def _csv_batches(reader: Reader, filters: Filters, search: str | None) -> Iterator[tuple[bytes, int]]:
    sql, params = explore.export_sql(filters, search, guard_formulas=True)
    return arrow_csv(
        reader.arrow_batches(sql, params, batch_rows=CSV_BATCH_ROWS), explore.EXPORT_COLUMNS, neutralise=False
    )


def csv_chunks(reader: Reader, filters: Filters, search: str | None = None) -> Iterator[bytes]:
    """The CSV export as a stream of byte chunks (one per Arrow batch), UTF-8 with a BOM for Excel.
    The viewer's scope is applied before the first byte (a refusal is a whole HTTP 403)."""
    scoped = scope.row_filters(reader, filters)
    return (chunk for chunk, _rows in _csv_batches(reader, scoped, search))


def _write_xlsx(reader: Reader, filters: Filters, vocabulary: Vocabulary, search: str | None, target: BinaryIO) -> int:
    sql, params = explore.export_sql(filters, search)
    return write_xlsx(
        target,
        "offerings",
        list(explore.EXPORT_COLUMNS),
        reader.arrow_batches(sql, params, batch_rows=XLSX_BATCH_ROWS),
        lambda rows: about(reader, filters, vocabulary, rows, search).items(),
    )


def _write_parquet(
    reader: Reader, filters: Filters, vocabulary: Vocabulary, search: str | None, target: BinaryIO
) -> int:
    """Parquet, with ``about`` in the file's key-value metadata and in the Arrow schema's
    metadata (pyarrow.parquet.read_table(...).schema.metadata shows it)."""
    import pyarrow.parquet as pq

    sql, params = explore.export_sql(filters, search)
    batches = reader.arrow_batches(sql, params)
    first = next(batches, None)
    schema = (
        first.schema
        if first is not None
        else pa.Schema.from_pandas(reader.frame(f"SELECT * FROM ({sql}) LIMIT 0", params), preserve_index=False)
    )
    # The schema goes first in the file, so its copy of ``about`` counts the rows beforehand.
    described = about(reader, filters, vocabulary, explore.count(reader, filters, search), search)
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
    db: Reader | Database | Path | str, filters: Filters, fmt: str, stream: BinaryIO, search: str | None = None
) -> int:
    """Write the offerings matching ``filters`` (and the title search) to ``stream`` as csv, xlsx or
    parquet; returns the number of rows. The endpoints and ``mcred export`` both call this."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: formats are {', '.join(FORMATS)}", status=404)
    reader = db if isinstance(db, Reader) else (db if isinstance(db, Database) else Database(Path(db))).reader()
    filters = scope.row_filters(reader, filters)
    vocab = vocabulary(reader)
    if fmt == "csv":
        rows = 0
        for chunk, n in _csv_batches(reader, filters, search):
            stream.write(chunk)
            rows += n
        return rows
    if fmt == "xlsx":
        formats.check_fits_xlsx(
            explore.count(reader, filters, search),
            "{rows:,} rows do not fit in an Excel worksheet ({limit:,} at most): "
            "narrow the filters, or export csv or parquet",
        )
    writer = _write_xlsx if fmt == "xlsx" else _write_parquet
    if _seekable(stream):
        return writer(reader, filters, vocab, search, stream)
    # zip and Parquet footers want a seekable file: build it aside, then copy (e.g. to a pipe).
    with tempfile.TemporaryFile() as tmp:
        rows = writer(reader, filters, vocab, search, tmp)
        tmp.seek(0)
        shutil.copyfileobj(tmp, stream, 1 << 20)
    return rows


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False
