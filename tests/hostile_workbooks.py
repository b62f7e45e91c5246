"""Hostile .xlsx workbooks, written byte by byte (zip of XML), for the reader's limit tests.

Imported as ``from hostile_workbooks import ...`` (pytest puts tests/ on sys.path). Each
builder writes the reproduction of issue #14 it is named after; nothing here is committed
as a binary. The workbooks are valid SpreadsheetML as far as the zip and XML go: only their
sizes and references are hostile.
"""

from __future__ import annotations

import random
import string
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter
from submission_files import HEADER, offering_row

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="offerings" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def inline_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def rows_xml(rows: Iterable[list[str]], first_row: int = 1) -> str:
    """Rows of inline-string cells from column A."""
    out = []
    for r, cells in enumerate(rows, start=first_row):
        out.append(
            f'<row r="{r}">'
            + "".join(inline_cell(f"{get_column_letter(i + 1)}{r}", v) for i, v in enumerate(cells))
            + "</row>"
        )
    return "".join(out)


def valid_rows(inst: str = "BCIT", n: int = 2) -> list[list[str]]:
    return [HEADER.split(",")] + [offering_row(inst=inst, oid=f"H{i}").split(",") for i in range(n)]


def workbook(
    path: Path, sheet_data: str, *, dimension: str | None = None, shared: list[str] | None = None, extra: str = ""
) -> Path:
    """Write an .xlsx whose one sheet (named offerings) holds ``sheet_data`` (the rows' XML)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}">{dim}'
        f"<sheetData>{sheet_data}</sheetData>{extra}</worksheet>"
    )
    strings = shared or []
    sst = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{MAIN}" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">' + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        zf.writestr("xl/sharedStrings.xml", sst)
    return path


def far_cell(path: Path, ref: str, *, dimension: str | None = None) -> Path:
    """A valid two-offering sheet plus one cell at ``ref`` (XFD1048576, XFD2000, A1048576)."""
    return workbook(
        path,
        rows_xml(valid_rows()) + f'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}">{inline_cell(ref, "x")}</row>',
        dimension=dimension,
    )


def shared_string_bomb(path: Path, *, chars: int = 1 << 20, cells: int = 2_000) -> Path:
    """One ``chars``-character shared string referenced by ``cells`` cells (issue: 805 KB -> 9.2 GB)."""
    header = rows_xml([HEADER.split(",")])
    body = []
    per_row = 10
    for r in range(cells // per_row):
        row = r + 2
        body.append(
            f'<row r="{row}">'
            + "".join(f'<c r="{get_column_letter(c + 1)}{row}" t="s"><v>0</v></c>' for c in range(per_row))
            + "</row>"
        )
    # Random letters, as in the 805 KB file: the zip's size and ratio checks see nothing odd.
    text = "".join(random.Random(14).choices(string.ascii_letters, k=chars))
    return workbook(path, header + "".join(body), shared=[text])


def many_shared_references(path: Path, *, chars: int = 32_000, cells: int = 300_000) -> Path:
    """Strings within a cell's limit, but referenced so often they expand to gigabytes."""
    header = rows_xml([HEADER.split(",")])
    per_row = 20
    body = "".join(
        f'<row r="{r + 2}">'
        + "".join(f'<c r="{get_column_letter(c + 1)}{r + 2}" t="s"><v>0</v></c>' for c in range(per_row))
        + "</row>"
        for r in range(cells // per_row)
    )
    return workbook(path, header + body, shared=["B" * chars])


def declared_huge(path: Path) -> Path:
    """Valid cells, but a dimension element claiming the whole grid."""
    return workbook(path, rows_xml(valid_rows()), dimension="A1:XFD1048576")


def wide_header(path: Path, columns: int) -> Path:
    """A header row ``columns`` cells wide (a sheet holds at most 16,384)."""
    cells = HEADER.split(",") + [f"extra{i}" for i in range(columns - len(HEADER.split(",")))]
    return workbook(path, rows_xml([cells, offering_row().split(",")]))


def wide_csv(path: Path, columns: int = 200_000) -> Path:
    """The issue's 3.3 MB CSV with 200,000 columns."""
    names = HEADER.split(",")
    extra = columns - len(names)
    header = ",".join(names + [f"c{i}" for i in range(extra)])
    row = offering_row() + "," * extra
    path.write_text(header + "\n" + row + "\n")
    return path
