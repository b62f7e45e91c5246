"""Writing an export workbook: the rows on one sheet, what they are on sheet 'about'.

The workbook's parts are written here, straight into a zip stream: the sheet XML of
each Arrow batch is built column-wise by Arrow compute kernels (no Python object per
cell) and compressed as it comes, so memory stays that of one batch whatever the row
count. Every text cell is an inline string (``t="inlineStr"``): '=cmd' is text, never
a formula, and nothing else in the file can be read as one (no formula element is
ever written). Deflate runs on a second thread while the next batch's XML is built.
Shared by the offering and the issue exports.

Chosen by measurement (208,386 offerings x 30 export columns, one machine, one run
each): xlsxwriter constant_memory 74.6 s, pyexcelerate 56.1 s (and every row held in
memory: 787 MB), rustpy-xlsxwriter 13.2 s (a Python dict per row), this writer 2.7-7 s
depending on the machine's load (see export_xlsx in benchmarks/measurements/exports.py).
"""

from __future__ import annotations

import datetime as dt
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterable
from typing import BinaryIO
from xml.sax.saxutils import escape as _xml_escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

# Deflate level: 1 compresses this repetitive XML to within ~15% of level 6 at several times the speed.
COMPRESS_LEVEL = 1
MAX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell
EXCEL_EPOCH_DAYS = 25_569  # 1970-01-01 as an Excel serial day number (1900 date system)

# Characters XML 1.0 cannot hold, and text that Excel would read as such an escape:
# both written as Excel's _xHHHH_ escapes (as Excel itself and xlsxwriter do).
_UNSAFE_RE = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
_UNSAFE = re.compile(_UNSAFE_RE)
_SPECIAL_RE = "[&<>]|" + _UNSAFE_RE  # anything a text cell's XML must escape

# Style indexes in styles.xml: 0 plain, 1 bold (header, about keys), 2 a date.
_BOLD, _DATE = 1, 2


def write_xlsx(
    target: BinaryIO,
    sheet_name: str,
    columns: list[str],
    batches: Iterable[pa.RecordBatch],
    about: Callable[[int], Iterable[tuple[str, object]]],
) -> int:
    """Write the batches under a header row; ``about(rows)`` gives the about sheet's
    (key, value) lines once the rows are counted. Returns how many rows were written."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as book:
        for name, text in _static_parts(sheet_name).items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet, _Behind(sheet) as out:
            out.write(_SHEET_START.format(views=_FROZEN_HEADER, cols="").encode())
            out.write(_text_row(1, columns, style=_BOLD).encode())
            rows = 0
            for batch in batches:
                if batch.num_rows:
                    out.write(sheet_rows(batch, first_row=rows + 2))
                    rows += batch.num_rows
            out.write(_SHEET_END)
        lines = []
        for r, (key, value) in enumerate(about(rows), start=1):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                lines.append(f'<row r="{r}">{_text_cell("A", r, key, _BOLD)}<c r="B{r}"><v>{value!r}</v></c></row>')
            else:
                lines.append(f'<row r="{r}">{_text_cell("A", r, key, _BOLD)}{_text_cell("B", r, str(value))}</row>')
        about_cols = (
            '<cols><col min="1" max="1" width="18" customWidth="1"/>'
            '<col min="2" max="2" width="90" customWidth="1"/></cols>'
        )
        book.writestr(
            "xl/worksheets/sheet2.xml",
            _SHEET_START.format(views="", cols=about_cols) + "".join(lines) + _SHEET_END.decode(),
        )
    return rows


class _Behind:
    """Writes to ``stream`` on another thread, a few chunks behind: deflate (zlib lets go
    of the GIL) runs while the next batch's XML is built. At most QUEUED chunks wait."""

    QUEUED = 3

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.chunks: queue.Queue = queue.Queue(self.QUEUED)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._drain, name="xlsx-deflate", daemon=True)

    def __enter__(self) -> _Behind:
        self.thread.start()
        return self

    def write(self, chunk) -> None:
        if self.failure is not None:
            raise self.failure
        self.chunks.put(chunk)

    def _drain(self) -> None:
        while (chunk := self.chunks.get()) is not None:
            if self.failure is None:
                try:
                    self.stream.write(chunk)
                except BaseException as exc:  # noqa: BLE001 - raised again on the writing thread
                    self.failure = exc

    def __exit__(self, exc_type, exc, tb) -> None:
        self.chunks.put(None)
        self.thread.join()
        if self.failure is not None and exc is None:
            raise self.failure


def sheet_rows(batch: pa.RecordBatch, first_row: int) -> pa.Buffer:
    """The ``<row>`` elements of ``batch``, its first row numbered ``first_row``: built a
    column at a time by Arrow kernels, so no Python object is made per cell. A cell
    names its reference (r="C12") only where an earlier cell of its row is missing: the
    others are where they follow (smaller sheets, as Excel writes them when it can)."""
    numbers = pc.cast(pa.array(np.arange(first_row, first_row + batch.num_rows, dtype=np.int64)), pa.string())
    parts: list[pa.Array | str] = ['<row r="', numbers, '">']
    gap = None  # rows where an earlier cell is missing
    for c, column in enumerate(batch.columns):
        value, attrs, close = _cell_parts(column)
        missing = pc.is_null(value) if value.null_count else None
        if missing is not None and value.null_count == len(value):
            gap = missing
            continue
        if gap is None:
            start: pa.Array | str = "<c"
        else:
            start = pc.if_else(
                gap, pc.binary_join_element_wise(f'<c r="{get_column_letter(c + 1)}', numbers, '"', ""), "<c"
            )
        cell = pc.binary_join_element_wise(start, attrs, value, close, "", null_handling="emit_null")
        parts.append(pc.fill_null(cell, "") if missing is not None else cell)
        if missing is not None:
            gap = missing if gap is None else pc.or_(gap, missing)
    parts.append("</row>")
    rows = pc.binary_join_element_wise(*parts, "")
    return _joined(rows)


def _joined(strings: pa.Array) -> pa.Buffer:
    """The concatenation of a string array without nulls: a slice of its data buffer, no copy."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if not pa.types.is_string(strings.type):
        strings = pc.cast(strings, pa.string())
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32, count=len(strings) + 1, offset=strings.offset * 4)
    data = strings.buffers()[2]
    start, end = int(offsets[0]), int(offsets[-1])
    return data.slice(start, end - start) if data is not None and end > start else pa.py_buffer(b"")


def _cell_parts(column: pa.Array) -> tuple[pa.Array, pa.Array | str, str]:
    """(value text, what goes between '<c' and it, what closes it) of a column's cells;
    the value is null where the cell is missing."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "1", "0"), ' t="b"><v>', "</v></c>"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        if pa.types.is_floating(kind):  # NaN and infinities are no Excel number: left empty
            column = pc.if_else(pc.is_finite(column), column, pa.scalar(None, kind))
        return pc.cast(column, pa.string()), "><v>", "</v></c>"
    if pa.types.is_date(kind):
        days = pc.cast(pc.cast(pc.cast(column, pa.date32()), pa.int32()), pa.int64())
        return pc.cast(pc.add(days, EXCEL_EPOCH_DAYS), pa.string()), f' s="{_DATE}"><v>', "</v></c>"
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        column = _as_text(column)
    value = _escaped(column)
    empty = pc.equal(value, "")
    if pc.any(empty).as_py():  # an empty text is no cell
        value = pc.if_else(empty, pa.scalar(None, pa.string()), value)
    # Leading or trailing white space survives only under xml:space="preserve".
    padded = pc.match_substring_regex(value, r"^\s|\s$")
    if pc.any(padded).as_py():
        attrs: pa.Array | str = pc.if_else(
            padded, ' t="inlineStr"><is><t xml:space="preserve">', ' t="inlineStr"><is><t>'
        )
    else:
        attrs = ' t="inlineStr"><is><t>'
    return value, attrs, "</t></is></c>"


def _as_text(column: pa.Array) -> pa.Array:
    """A column of another type as the text a person reads (a list as 'a;b', a time as ISO)."""
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        return pc.binary_join(pc.cast(column, pa.list_(pa.string())), ";")
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return pa.array([None if v is None else str(v) for v in column.to_pylist()], type=pa.string())


def _escaped(column: pa.Array) -> pa.Array:
    """Text made safe for the XML of a cell: markup characters as entities, characters XML
    cannot hold as _xHHHH_, cut to Excel's limit. The rare cell that needs more than the
    entities is done in Python."""
    if pc.any(pc.greater(pc.utf8_length(column), MAX_CELL_CHARS)).as_py():
        column = pc.utf8_slice_codeunits(column, 0, MAX_CELL_CHARS)
    if not pc.any(pc.match_substring_regex(column, _SPECIAL_RE)).as_py():
        return column  # most columns: nothing to escape, one pass
    if pc.any(pc.match_substring_regex(column, _UNSAFE_RE)).as_py():
        column = pa.array(
            [None if v is None else _UNSAFE.sub(_excel_escape, v) for v in column.to_pylist()], type=pa.string()
        )
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        if pc.any(pc.match_substring(column, raw)).as_py():
            column = pc.replace_substring(column, raw, entity)
    return column


def _excel_escape(match: re.Match) -> str:
    text = match.group(0)
    if text.startswith("_x"):  # literal text that looks like an escape: escape its underscore
        return "_x005F" + text
    return f"_x{ord(text):04X}_"


def _text_cell(letter: str, row: int, text: str, style: int = 0) -> str:
    safe = _xml_escape(_UNSAFE.sub(_excel_escape, text[:MAX_CELL_CHARS]))
    s = f' s="{style}"' if style else ""
    return f'<c r="{letter}{row}"{s} t="inlineStr"><is><t xml:space="preserve">{safe}</t></is></c>'


def _text_row(row: int, values: list[str], style: int = 0) -> str:
    cells = "".join(_text_cell(get_column_letter(c + 1), row, str(v), style) for c, v in enumerate(values))
    return f'<row r="{row}">{cells}</row>'


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_SHEET_START = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} {_REL_NS}>'
    '{views}<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>'
)
_SHEET_END = b"</sheetData></worksheet>"
_FROZEN_HEADER = (
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews>"
)


def _static_parts(sheet_name: str) -> dict[str, str]:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sheet = _xml_escape(sheet_name[:31], {'"': "&quot;"})
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "[Content_Types].xml": head
        + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{main}.worksheet+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{main}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": head
        + (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        ),
        "docProps/app.xml": head
        + (
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>mcred</Application></Properties>"
        ),
        "docProps/core.xml": head
        + (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>mcred</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created></cp:coreProperties>'
        ),
        "xl/workbook.xml": head
        + (
            f"<workbook {_NS} {_REL_NS}><bookViews><workbookView/></bookViews><sheets>"
            f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/><sheet name="about" sheetId="2" r:id="rId2"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": head
        + (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/worksheet" Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": head
        + (
            f"<styleSheet {_NS}>"
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
    }
