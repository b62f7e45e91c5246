"""Writing an export workbook: the rows on one sheet, what they are on sheet 'about'.

xlsxwriter streams rows to temporary files (constant_memory), and with strings_to_*
off every text cell stays a string, so '=cmd' is written as text, never as a formula.
Shared by the offering and the issue exports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import BinaryIO

import pyarrow as pa
import xlsxwriter


def write_xlsx(target: BinaryIO, sheet_name: str, columns: list[str], batches: Iterable[pa.RecordBatch],
               about: Callable[[int], Iterable[tuple[str, object]]]) -> int:
    """Write the batches under a header row; ``about(rows)`` gives the about sheet's
    (key, value) lines once the rows are counted. Returns how many rows were written."""
    book = xlsxwriter.Workbook(target, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False, "default_date_format": "yyyy-mm-dd", "remove_timezone": True,
    })
    try:
        sheet = book.add_worksheet(sheet_name)
        info = book.add_worksheet("about")
        bold = book.add_format({"bold": True})
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, columns, bold)
        sheet.freeze_panes(1, 0)
        rows = 0
        for batch in batches:
            writers = [_cell_writer(sheet, field.type, date_format) for field in batch.schema]
            for values in zip(*(col.to_pylist() for col in batch.columns)):
                rows += 1
                for c, (value, write) in enumerate(zip(values, writers)):
                    if value is not None:
                        write(rows, c, value)
        info.set_column(0, 0, 18)
        info.set_column(1, 1, 90)
        for r, (key, value) in enumerate(about(rows)):
            info.write_string(r, 0, key, bold)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                info.write_number(r, 1, value)
            else:
                info.write_string(r, 1, str(value))
        return rows
    finally:
        book.close()


def _cell_writer(sheet, arrow_type: pa.DataType, date_format):
    if pa.types.is_boolean(arrow_type):
        return sheet.write_boolean
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return sheet.write_number
    if pa.types.is_date(arrow_type):
        return lambda r, c, v: sheet.write_datetime(r, c, v, date_format)
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return sheet.write_string
    return lambda r, c, v: sheet.write_string(r, c, str(v))
