"""What every export shares: its formats and media types, the byte-order mark of a CSV
meant for Excel, and the largest worksheet an .xlsx can hold."""

from __future__ import annotations

from dashboard.exports.errors import ExportError

FORMATS = ("csv", "xlsx", "parquet")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
BOM = "\ufeff".encode()
XLSX_MAX_ROWS = 1_048_575  # a worksheet holds 1,048,576 rows, one of them the header


def check_fits_xlsx(rows: int, message: str) -> None:
    """ExportError (HTTP 413) when ``rows`` do not fit on one worksheet; ``message`` is
    formatted with ``rows`` and ``limit``."""
    if rows > XLSX_MAX_ROWS:
        raise ExportError(message.format(rows=rows, limit=XLSX_MAX_ROWS), status=413)
