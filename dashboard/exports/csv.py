"""The CSV writer of every export: UTF-8 with a byte-order mark (Excel reads it right),
and no cell that a spreadsheet would run as a formula.

Two shapes of input: a stream of Arrow record batches (offerings, issues: pyarrow writes
the CSV, quoting text and doubling quotes, about ten times faster than the csv module),
and a small table of Python values (a chart's data, the peer table).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from dashboard.cell_safety import guard_text, neutralise_batch
from dashboard.exports.formats import BOM


def cell(value: Any) -> Any:
    """A value as a CSV cell: text guarded against formulas, yes/no for booleans, '' for missing
    and floats to 4 decimals; other values as the csv module writes them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "" if value != value else f"{value:.4f}"
    if isinstance(value, str):
        return guard_text(value)
    return str(value)


def text_cell(value: Any) -> Any:
    """Only text guarded; numbers keep their full precision."""
    return guard_text(value) if isinstance(value, str) else value


def table_csv(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, line_end: str = "\n", format_cell=text_cell
) -> bytes:
    """A small table as CSV bytes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(header)
    for row in rows:
        writer.writerow([format_cell(v) for v in row])
    return BOM + out.getvalue().encode("utf-8")


def arrow_csv(
    batches: Iterable[pa.RecordBatch], columns: Sequence[str], *, neutralise: bool = True
) -> Iterator[tuple[bytes, int]]:
    """(chunk, rows in it) per batch, the byte-order mark first; a header line even without rows.

    neutralise: guard text cells here (vectorised); False when the SQL already did.
    """
    yield BOM, 0
    buffer = io.BytesIO()
    writer = None
    for batch in batches:
        if neutralise:
            batch = neutralise_batch(batch)
        if writer is None:
            writer = pa_csv.CSVWriter(buffer, batch.schema, write_options=pa_csv.WriteOptions(quoting_style="needed"))
        writer.write_batch(batch)
        yield buffer.getvalue(), batch.num_rows
        buffer.seek(0)
        buffer.truncate()
    if writer is None:
        yield (",".join(f'"{c}"' for c in columns) + "\n").encode(), 0
    else:
        writer.close()
        tail = buffer.getvalue()
        if tail:
            yield tail, 0


def csv_chunks(
    batches: Iterable[pa.RecordBatch],
    columns: Sequence[str],
    *,
    neutralise: bool = True,
    counter: list[int] | None = None,
) -> Iterator[bytes]:
    """The CSV as byte chunks (a streamed response), adding its rows to ``counter`` as they go."""
    return counted(arrow_csv(batches, columns, neutralise=neutralise), counter)


def counted(chunks: Iterable[tuple[bytes, int]], counter: list[int] | None) -> Iterator[bytes]:
    """The chunks of (chunk, rows) pairs, each adding its rows to ``counter`` (the export audit's)
    as it goes out."""
    for chunk, rows in chunks:
        if counter is not None:
            counter[0] += rows
        yield chunk
