"""What an .xlsx will cost to read, found from its XML before (and while) the workbook reader runs.

The workbook reader (calamine, through fastexcel) builds a dense grid of every cell between
the sheet's first and last used cell and copies a shared string into every cell that refers
to it. A few kilobytes of XML can therefore ask for gigabytes: one cell at XFD1048576 asks for
17 billion cells (the reader aborts), one 1 MB shared string used by 2,000 cells for 2 GB of
text. This module streams the chosen sheet's XML once and measures what the reader would
build: the declared and actual dimensions, the number of cells, the text the shared strings
expand to, and whether any cell holds a formula. :func:`check` turns a measurement beyond
:data:`LIMITS` into a message naming the limit.

The scan is vectorised with numpy over the decompressed bytes (a Python loop per cell costs
seconds for 200,000 rows): it finds every tag start, classifies the tags a worksheet's cells
are made of (``<c r="B7" ...>``, ``<row r="7" ...>``, ``<v>``, ``<f>``) and decodes the cell
references and shared-string indices in place. A sheet written in another shape (a cell without
its reference first, tags with a namespace prefix other than the root's) is scanned again with
expat, slower but exact.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

import numpy as np
import numpy.typing as npt

# A sheet's own limits (Excel's): 1,048,576 rows, 16,384 columns, 32,767 characters a cell.
SHEET_ROWS = 1_048_576
CELL_CHARS = 32_767


@dataclass(frozen=True)
class Limits:
    """What a submission workbook may ask of the reader."""

    rows: int = SHEET_ROWS
    columns: int = 256  # the format has 24 columns; room for notes columns beside them
    cells: int = 12_000_000  # cells in the used area (rows x columns): 500,000 rows at 24 columns
    text_bytes: int = 512 * 1024 * 1024  # shared strings after expansion into the cells using them
    cell_chars: int = CELL_CHARS


LIMITS = Limits()

_CHUNK = 16 << 20
_PAD = 64  # bytes past a chunk's last tag start that the decoders may read


class LimitExceeded(Exception):
    """The workbook asks more of the reader than :data:`LIMITS` allow; the message names the limit."""


class UnsafeXml(Exception):
    """A part of the workbook holds a document type declaration (entity expansion)."""


@dataclass
class SheetFacts:
    """What the reader would build from one sheet."""

    part: str
    declared: str | None = None  # the <dimension ref="..."> as written
    cells: int = 0
    min_row: int = 0
    max_row: int = 0
    min_col: int = 0
    max_col: int = 0
    far_row_cell: str | None = None  # the reference that set max_row / max_col
    far_col_cell: str | None = None
    shared_cells: int = 0
    text_bytes: int = 0  # shared-string bytes expanded into the cells that refer to them
    longest_shared: int = 0  # bytes of the longest shared string
    has_formulas: bool = False

    @property
    def area(self) -> int:
        if not self.cells:
            return 0
        return (self.max_row - self.min_row + 1) * (self.max_col - self.min_col + 1)


_REF = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,9})$")


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'XFD2000' -> (2000, 16384); None when it is not a cell reference."""
    m = _REF.match(ref.strip())
    if not m:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def column_letter(number: int) -> str:
    """1 -> 'A', 27 -> 'AA', 16384 -> 'XFD': openpyxl's get_column_letter, without importing
    openpyxl (0.17 s at the start of every load)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- which part holds the sheet the reader will read --------------------------------------

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _small_xml(archive: zipfile.ZipFile, member: str, limit: int = 16 << 20) -> ElementTree.Element:
    info = archive.getinfo(member)
    if info.file_size > limit:
        raise LimitExceeded(f"the workbook's {member} is {info.file_size:,} bytes, more than a workbook needs")
    data = archive.read(member)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnsafeXml(member)
    return ElementTree.fromstring(data)


def sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part name) in the workbook's order; [] when the workbook does not say."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return []
    try:
        book = _small_xml(archive, "xl/workbook.xml")
        rels = _small_xml(archive, "xl/_rels/workbook.xml.rels")
    except ElementTree.ParseError:
        return []
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter() if r.tag.endswith("Relationship")}
    out = []
    for sheet in book.iter():
        if not sheet.tag.endswith("}sheet") and sheet.tag != "sheet":
            continue
        target = targets.get(sheet.get(f"{{{_REL_NS}}}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if part in names:
            out.append((sheet.get("name", ""), part))
    return out


def chosen_sheet_part(archive: zipfile.ZipFile) -> list[str]:
    """The part(s) the reader may read: the sheet named offerings (any case), else the first;
    every worksheet when the workbook's own index cannot be followed."""
    parts = sheet_parts(archive)
    if parts:
        chosen = next((p for n, p in parts if n.strip().lower() == "offerings"), parts[0][1])
        return [chosen]
    return sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml"))


def _part_rels(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> target of one part (``xl/_rels/workbook.xml.rels`` for ``xl/workbook.xml``)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in archive.namelist():
        return {}
    return {
        r.get("Id", ""): r.get("Target", "") for r in _small_xml(archive, rels).iter() if r.tag.endswith("Relationship")
    }


def external_links(archive: zipfile.ZipFile) -> list[str]:
    """The files the workbook's external links name, in the order its formulas number them
    (``[1]Sheet1!A1`` takes its value from the first); [] when it links to none. A link whose
    file cannot be found in the workbook's parts is named "(unnamed)"."""
    names = set(archive.namelist())
    if not any(n.startswith("xl/externalLinks/") for n in names) or "xl/workbook.xml" not in names:
        return []
    try:
        book = _small_xml(archive, "xl/workbook.xml")
        book_rels = _part_rels(archive, "xl/workbook.xml")
        out = []
        for ref in book.iter():
            if not ref.tag.endswith("externalReference"):
                continue
            target = book_rels.get(ref.get(f"{{{_REL_NS}}}id", ""), "")
            part = posixpath.normpath(posixpath.join("xl", target))
            files = [t for t in _part_rels(archive, part).values() if t] if part in names else []
            out.append(files[0] if files else "(unnamed)")
        return out or ["(unnamed)"]
    except ElementTree.ParseError:
        return ["(unnamed)"]


def has_macros(archive: zipfile.ZipFile) -> str | None:
    """The part that holds the workbook's macros (a macro-enabled workbook, .xlsm, whatever its
    name), or None."""
    for name in archive.namelist():
        if name.lower().endswith("vbaproject.bin"):
            return name
    if "[Content_Types].xml" in archive.namelist():
        types = (
            archive.read("[Content_Types].xml") if archive.getinfo("[Content_Types].xml").file_size < 1 << 20 else b""
        )
        if b"macroEnabled" in types:
            return "[Content_Types].xml"
    return None


# --- shared strings -----------------------------------------------------------------------


def _chunks(archive: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    with archive.open(member) as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _root_prefix(head: bytes, local: bytes) -> bytes:
    """The namespace prefix of the root element (b'' or b'x:')."""
    m = re.search(rb"<(\w+:)?" + local + rb"[\s>]", head)
    return m.group(1) or b"" if m else b""


def shared_string_sizes(archive: zipfile.ZipFile, limits: Limits = LIMITS) -> npt.NDArray[np.int64]:
    """Bytes of XML of each shared string (an upper bound of its text's UTF-8 bytes: markup and
    escapes only shrink when read). A string longer than a cell holds is a :class:`LimitExceeded`."""
    member = next((n for n in archive.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
    if member is None:
        return np.zeros(0, np.int64)
    sizes: list[npt.NDArray[np.int64]] = []
    carry = b""
    prefix: bytes | None = None
    opener = b"<si>"

    def measure(text: bytes) -> None:
        pieces = text.split(opener)[1:]  # before the first opener: the header, or nothing
        sizes.append(np.fromiter(map(len, pieces), np.int64, len(pieces)))

    for chunk in _chunks(archive, member):
        buf = carry + chunk
        if prefix is None:
            if b"<!DOCTYPE" in buf[:4096] or b"<!ENTITY" in buf[:4096]:
                raise UnsafeXml(member)
            prefix = _root_prefix(buf[:4096], b"sst")
            opener = b"<" + prefix + b"si>"
        cut = buf.rfind(opener)
        if cut <= 0:
            carry = buf
            continue
        measure(buf[:cut])
        carry = buf[cut:]
    measure(carry)
    out = np.concatenate(sizes) if sizes else np.zeros(0, np.int64)
    _check_long_strings(archive, member, out, limits)
    return out


def _check_long_strings(archive: zipfile.ZipFile, member: str, sizes: npt.NDArray[np.int64], limits: Limits) -> None:
    """Only strings whose XML is longer than a cell holds can be too long: count their characters."""
    long = np.flatnonzero(sizes > limits.cell_chars)
    if not long.size:
        return
    wanted = set(long.tolist())
    for index, text in _iter_shared_texts(archive, member, max(wanted)):
        if index in wanted and len(text) > limits.cell_chars:
            raise LimitExceeded(
                f"shared string {index + 1:,} of the workbook holds {len(text):,} characters; a cell holds at most "
                f"{limits.cell_chars:,}"
            )


def _iter_shared_texts(archive: zipfile.ZipFile, member: str, last: int) -> Iterator[tuple[int, str]]:
    index = -1
    with archive.open(member) as fh:
        for _, element in ElementTree.iterparse(fh, events=("end",)):
            if element.tag.endswith("}si") or element.tag == "si":
                index += 1
                yield index, "".join(t.text or "" for t in element.iter() if t.tag.endswith("}t") or t.tag == "t")
                element.clear()
                if index >= last:
                    return


# --- the sheet ------------------------------------------------------------------------------

_LT, _GT, _QUOTE, _EQ, _SLASH = 60, 62, 34, 61, 47


def _is_ws(x: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    found: npt.NDArray[np.bool_] = (x == 32) | (x == 9) | (x == 10) | (x == 13)
    return found


def _digits(buf: npt.NDArray[np.uint8], pos: npt.NDArray[np.int64], width: int) -> tuple[np.ndarray, np.ndarray]:
    """The decimal number at each position (up to ``width`` digits, int64) and how many digits it has."""
    value = np.zeros(pos.size, np.int64)
    count = np.zeros(pos.size, np.int8)
    alive = np.ones(pos.size, np.bool_)
    for k in range(width):
        d = buf[pos + k] - np.uint8(48)  # wraps: anything but a digit is above 9
        alive &= d <= 9
        if not alive.any():
            break
        np.copyto(value, value * 10 + d, where=alive)
        count += alive
    return value, count.astype(np.int64)


def _letters(buf: npt.NDArray[np.uint8], pos: npt.NDArray[np.int64]) -> tuple[np.ndarray, np.ndarray]:
    """The column number of the letters at each position (up to four) and how many letters."""
    value = np.zeros(pos.size, np.int64)
    count = np.zeros(pos.size, np.int8)
    alive = np.ones(pos.size, np.bool_)
    for k in range(4):
        ch = buf[pos + k] - np.uint8(65)  # wraps: anything but A-Z is above 25
        alive &= ch <= 25
        if not alive.any():
            break
        np.copyto(value, value * 26 + ch + 1, where=alive)
        count += alive
    return value, count.astype(np.int64)


class _Irregular(Exception):
    """The sheet is not in the shape the vectorised scan reads: use expat."""


def _match(buf: npt.NDArray[np.uint8], at: npt.NDArray[np.int64], text: bytes) -> npt.NDArray[np.bool_]:
    ok = np.ones(at.size, np.bool_)
    for i, b in enumerate(text):
        ok &= buf[at + i] == b
    return ok


def _ref_text(buf: npt.NDArray[np.uint8], start: int) -> str:
    end = start
    while end < buf.size and buf[end] != _QUOTE and end - start < 16:
        end += 1
    return bytes(buf[start:end]).decode("ascii", "replace")


def _scan_fast(chunks: Iterator[bytes], facts: SheetFacts, sizes: npt.NDArray[np.int64]) -> None:
    longest = int(sizes.max()) if sizes.size else 0
    facts.longest_shared = longest
    data = b""
    prefix: bytes | None = None
    start_at = 0  # tags before this offset of ``data`` were read with the previous chunk

    typed = matched = 0

    def scan(end: int) -> None:
        nonlocal typed, matched
        buf = np.frombuffer(data + bytes(_PAD), np.uint8)
        lt = np.flatnonzero(buf[start_at:end] == _LT).astype(np.int64) + start_at
        matched += _scan_tags(buf, lt, len(prefix or b""), facts, sizes, longest)
        typed += data.count(b't="s"', start_at, end)

    for chunk in chunks:
        data = data[start_at - 16 :] if start_at > 16 else data
        start_at = min(start_at, 16)
        data += chunk
        if prefix is None:
            head = data[:8192]
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise UnsafeXml(facts.part)
            prefix = _root_prefix(head, b"worksheet")
            m = re.search(rb"<" + re.escape(prefix) + rb'dimension\s+ref="([^"]*)"', head)
            facts.declared = m.group(1).decode("ascii", "replace") if m else None
        cut = data.rfind(b"<")  # every tag before the last '<' is whole ('<' is never in a value)
        if cut > start_at:
            scan(cut)
            start_at = cut
    if data:
        scan(len(data))
    # A shared-string cell whose t="s" is not last in its tag is counted at the longest string.
    facts.text_bytes += max(0, typed - matched) * longest


def _scan_tags(
    buf: npt.NDArray[np.uint8],
    lt: npt.NDArray[np.int64],
    plen: int,
    facts: SheetFacts,
    sizes: npt.NDArray[np.int64],
    longest: int,
) -> int:
    """Count and measure the tags starting at ``lt``; return the shared-string cells matched."""
    n0 = lt + 1 + plen  # where the local name starts (the prefix is checked by the tag shapes below)
    first = buf[n0]
    after = buf[n0 + 1]
    # Cells: <c followed by white space (<cols, <cfRule ... are other tags).
    is_c = (first == ord("c")) & (_is_ws(after) | (after == _GT) | (after == _SLASH))
    cells = n0[is_c]
    if cells.size:
        if not _match(buf, cells + 1, b' r="').all():
            raise _Irregular
        start = cells + 5
        col, nl = _letters(buf, start)
        row, nd = _digits(buf, start + nl, 9)
        if (nl == 0).any() or (nd == 0).any() or (buf[start + nl + nd] != _QUOTE).any():
            raise _Irregular
        facts.cells += int(cells.size)
        _extend(facts, buf, start, row, col)
    # Rows: their r only places cells without a reference, which the fast scan never reads.
    # Values: <v> right after a t="s"> cell tag is a shared string's index.
    is_v = (first == ord("v")) & (after == _GT)
    values = n0[is_v]
    matched = 0
    if values.size:
        tag_start = values - 1 - plen
        shared = _match(buf, tag_start - 6, b't="s">')
        at = values[shared] + 2
        if at.size:
            index, nd = _digits(buf, at, 9)
            ok = (nd > 0) & (index < sizes.size)
            facts.shared_cells += int(at.size)
            facts.text_bytes += int(sizes[index[ok]].sum()) + int((~ok).sum()) * longest
            matched = int(at.size)
    is_f = (first == ord("f")) & (_is_ws(after) | (after == _GT) | (after == _SLASH))
    if is_f.any():
        facts.has_formulas = True
    return matched


def _extend(
    facts: SheetFacts,
    buf: npt.NDArray[np.uint8],
    start: npt.NDArray[np.int64],
    row: npt.NDArray[np.int64],
    col: npt.NDArray[np.int64],
) -> None:
    r_hi, c_hi = int(row.argmax()), int(col.argmax())
    if row[r_hi] > facts.max_row:
        facts.max_row, facts.far_row_cell = int(row[r_hi]), _ref_text(buf, int(start[r_hi]))
    if col[c_hi] > facts.max_col:
        facts.max_col, facts.far_col_cell = int(col[c_hi]), _ref_text(buf, int(start[c_hi]))
    lo_r, lo_c = int(row.min()), int(col.min())
    facts.min_row = lo_r if not facts.min_row else min(facts.min_row, lo_r)
    facts.min_col = lo_c if not facts.min_col else min(facts.min_col, lo_c)


def _scan_expat(chunks: Iterator[bytes], facts: SheetFacts, sizes: npt.NDArray[np.int64]) -> None:
    """Every cell through expat: exact for any shape, about ten times slower than the fast scan."""
    parser = expat.ParserCreate(namespace_separator="}")
    longest = int(sizes.max()) if sizes.size else 0
    facts.longest_shared = longest
    state = {"row": 0, "col": 0, "shared": False, "in_v": False}
    text: list[str] = []

    def local(name: str) -> str:
        return name.rsplit("}", 1)[-1]

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = local(name)
        if tag == "row":
            state["row"] = int(attrs["r"]) if attrs.get("r", "").isdigit() else state["row"] + 1
            state["col"] = 0
        elif tag == "c":
            where = parse_ref(attrs["r"]) if "r" in attrs else None
            if where is None:
                where = (state["row"] or 1, state["col"] + 1)
            row, col = where
            state["row"], state["col"] = row, col
            facts.cells += 1
            if row > facts.max_row:
                facts.max_row, facts.far_row_cell = row, f"{column_letter(col)}{row}"
            if col > facts.max_col:
                facts.max_col, facts.far_col_cell = col, f"{column_letter(col)}{row}"
            facts.min_row = row if not facts.min_row else min(facts.min_row, row)
            facts.min_col = col if not facts.min_col else min(facts.min_col, col)
            state["shared"] = attrs.get("t") == "s"
        elif tag == "v":
            state["in_v"] = True
            text.clear()
        elif tag == "f":
            facts.has_formulas = True
        elif tag == "dimension" and facts.declared is None:
            facts.declared = attrs.get("ref")

    def end(name: str) -> None:
        if local(name) == "v":
            state["in_v"] = False
            if state["shared"]:
                facts.shared_cells += 1
                value = "".join(text).strip()
                index = int(value) if value.isdigit() else -1
                facts.text_bytes += int(sizes[index]) if 0 <= index < sizes.size else longest

    def chars(data: str) -> None:
        if state["in_v"]:
            text.append(data)

    def doctype(*_: object) -> None:
        raise UnsafeXml(facts.part)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def scan_sheet(archive: zipfile.ZipFile, part: str, sizes: npt.NDArray[np.int64], *, exact: bool = False) -> SheetFacts:
    """Measure one worksheet part (``exact``: with expat, for tests and odd shapes)."""
    if not exact:
        facts = SheetFacts(part)
        try:
            _scan_fast(_chunks(archive, part), facts, sizes)
            return facts
        except _Irregular:
            pass
    facts = SheetFacts(part)
    try:
        _scan_expat(_chunks(archive, part), facts, sizes)
    except expat.ExpatError as exc:
        raise LimitExceeded(f"the sheet's XML is damaged ({exc}): open the file in Excel and save it again") from exc
    return facts


# What check() tells when a sheet is beyond a limit: str.format templates over _wording()'s names.
_TRIM = "delete the rows and columns beyond your data (select them, Delete) and save the file again"
_SPLIT = "split it into several files, or save it as CSV"
_TOO_LARGE_DECLARED = (
    "the sheet declares its size as {facts.declared} ({rows:,} rows x {columns:,} columns); "
    "a submission sheet has at most {limits.columns:,} columns and {limits.cells:,} cells: " + _TRIM
)
_TOO_WIDE = "{far_col} in column {facts.max_col:,}; a submission sheet has at most {limits.columns:,} columns: " + _TRIM
_TOO_LONG = "{far_row} in row {facts.max_row:,}; a sheet has at most {limits.rows:,} rows"
_TOO_MANY_CELLS = (
    "the sheet holds {facts.cells:,} cells, more than the {limits.cells:,} a submission workbook may hold: " + _SPLIT
)
_TOO_SPREAD = (
    "the sheet's cells span {span} ({facts.area:,} cells), "
    "more than the {limits.cells:,} a submission workbook may span: " + _TRIM
)
_TOO_MUCH_TEXT = (
    "the sheet's {repeated} {text_mb:,.0f} MB of text, "
    "more than the {limit_mb:,.0f} MB a submission workbook may hold: " + _SPLIT
)

# (what the sheet asks, as a name of _measures(), the field of Limits it may not pass, what to tell),
# in the order check() tries them.
_LIMIT_TABLE = (
    ("declared_rows", "rows", _TOO_LARGE_DECLARED),
    ("declared_columns", "columns", _TOO_LARGE_DECLARED),
    ("declared_cells", "cells", _TOO_LARGE_DECLARED),
    ("max_col", "columns", _TOO_WIDE),
    ("max_row", "rows", _TOO_LONG),
    ("cells", "cells", _TOO_MANY_CELLS),
    ("area", "cells", _TOO_SPREAD),
    ("text_bytes", "text_bytes", _TOO_MUCH_TEXT),
)


def check(facts: SheetFacts, limits: Limits = LIMITS) -> None:
    """Raise :class:`LimitExceeded` naming the first limit the sheet is beyond."""
    measured = _measures(facts)
    for measure, limit, template in _LIMIT_TABLE:
        if measured[measure] > getattr(limits, limit):
            raise LimitExceeded(template.format(**_wording(facts, limits)))


def _declared_size(facts: SheetFacts) -> tuple[int, int]:
    """(rows, columns) of the sheet's <dimension ref="A1:X9">; (0, 0) when absent or not cell references."""
    first, _, last = (facts.declared or "").partition(":")
    a, b = parse_ref(first), parse_ref(last or first)
    if not (a and b):
        return 0, 0
    return abs(b[0] - a[0]) + 1, abs(b[1] - a[1]) + 1


def _measures(facts: SheetFacts) -> dict[str, int]:
    """What the sheet asks of the reader, by the names _LIMIT_TABLE uses."""
    rows, columns = _declared_size(facts)
    return {
        "declared_rows": rows,
        "declared_columns": columns,
        "declared_cells": rows * columns,
        "max_col": facts.max_col,
        "max_row": facts.max_row,
        "cells": facts.cells,
        "area": facts.area,
        "text_bytes": facts.text_bytes,
    }


def _wording(facts: SheetFacts, limits: Limits) -> dict[str, object]:
    """The names the messages' templates use."""
    rows, columns = _declared_size(facts)
    span = ""  # a sheet without cells has no span (and no column 0 to name)
    if facts.area:
        span = f"{column_letter(facts.min_col)}{facts.min_row}:{column_letter(facts.max_col)}{facts.max_row}"
    return {
        "facts": facts,
        "limits": limits,
        "rows": rows,
        "columns": columns,
        "far_col": f"cell {facts.far_col_cell} is" if facts.far_col_cell else "the sheet has cells",
        "far_row": f"cell {facts.far_row_cell} is" if facts.far_row_cell else "the sheet has cells",
        "span": span,
        "repeated": f"{facts.shared_cells:,} text cells expand to" if facts.shared_cells else "text comes to",
        "text_mb": facts.text_bytes / 2**20,
        "limit_mb": limits.text_bytes / 2**20,
    }


def scan_workbook(path: Path, limits: Limits = LIMITS) -> list[SheetFacts]:
    """Measure the sheet the reader will read and check it; raise LimitExceeded or UnsafeXml."""
    with zipfile.ZipFile(path) as archive:
        sizes = shared_string_sizes(archive, limits)
        out = []
        for part in chosen_sheet_part(archive):
            facts = scan_sheet(archive, part, sizes)
            check(facts, limits)
            out.append(facts)
        return out
