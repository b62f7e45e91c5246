"""Read submission files (CSV, XLSX) into a table of raw text cells.

A reader finds the header row, maps header cells to canonical columns (through
``etl.spec``), and returns every data row as text with the row number a person
sees in the file. It does not judge values: that is ``etl.validate``'s job.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import faulthandler
import functools
import gc
import hashlib
import io
import itertools
import multiprocessing
import multiprocessing.connection
import os
import pickle
import re
import resource
import signal
import stat
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.ipc  # noqa: F401 - pa.ipc, for the child's table

from etl import spec, workbook_scan
from etl.arrays import array, from_numpy, scalar
from etl.spec import SEVERITY_ERROR, SEVERITY_WARNING, Issue
from etl.workbook_scan import column_letter

SUPPORTED_SUFFIXES = (".csv", ".xlsx")
DELIMITERS = (",", ";", "\t")
HEADER_SEARCH_ROWS = 30
ROW_COLUMN = "_row"

# An .xlsx is a zip of XML: refuse archives that would unpack to something absurd
# before any XML is parsed (defusedxml guards the XML itself).
XLSX_MAX_MEMBERS = 10_000
XLSX_MAX_UNPACKED_BYTES = 2_000_000_000
XLSX_MAX_RATIO = 200


class UnreadableFile(Exception):
    """The file cannot be read as a submission at all."""

    def __init__(self, message: str, column: str | None = None, row: int | None = None, sheet: str | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.row = row
        self.sheet = sheet


@dataclass
class RawSubmissionTable:
    """The data rows of one file, as text, keyed by canonical column name."""

    path: Path
    file_name: str
    sha256: str
    sheet: str | None
    header_row: int
    table: pa.Table  # ROW_COLUMN (int64) + one string column per recognised column
    headers: dict[str, str]  # canonical column -> header text as written
    issues: list[Issue] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [c for c in self.table.column_names if c != ROW_COLUMN]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def safe_name(text: str) -> str:
    """A file name (or path) as one printable line of valid UTF-8: bytes that were not UTF-8
    (held as surrogates) and control characters such as newlines are written as escapes."""
    if text.isprintable():
        return text
    out = []
    for c in text:
        if c.isprintable():
            out.append(c)
        elif 0xDC80 <= ord(c) <= 0xDCFF:  # an undecodable byte, as os.fsdecode holds it
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        else:
            out.append(c.encode("unicode_escape").decode("ascii"))
    return "".join(out)


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def not_regular(path: Path) -> str | None:
    """What ``path`` is when it (or the file a symlink names) is not a regular file; None when it is.

    Only regular files are read: a FIFO or a device (a symlink to /dev/zero) would block or
    never end while the writer lock is held."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # reported by whoever opens it
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _NOT_REGULAR if test(mode)), "not a regular file")


def read_submission_file(path: Path, workbooks: WorkbookReaders | None = None) -> RawSubmissionTable:
    """Read one submission file; raise UnreadableFile with a message a person can act on.
    ``workbooks``: an .xlsx is read in a child of their zygote (see :class:`WorkbookReaders`),
    else in a child of this process."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(f"unsupported file type {suffix or '(none)'}: submissions are .csv or .xlsx files")
    what = not_regular(path)
    if what is not None:
        raise UnreadableFile(f"the path is {what}, not a regular file: only regular .csv and .xlsx files are read")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from exc
    if size == 0:
        raise UnreadableFile("the file is empty")
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        return _read_through_alias(path, suffix, workbooks)
    return _read_csv(path) if suffix == ".csv" else _read_workbook(path, workbooks)


def _read_workbook(path: Path, workbooks: WorkbookReaders | None) -> RawSubmissionTable:
    return _read_xlsx_isolated(path) if workbooks is None else workbooks.result(workbooks.submit(path))


def _read_through_alias(path: Path, suffix: str, workbooks: WorkbookReaders | None = None) -> RawSubmissionTable:
    """Read a file whose path holds bytes that are not UTF-8 (the Arrow and workbook readers
    take UTF-8 paths only) through a symlink with a plain name, then name the file again."""
    name = safe_name(path.name)
    with tempfile.TemporaryDirectory(prefix="mcred-") as tmp:
        alias = Path(tmp) / f"submission{suffix}"
        os.symlink(os.fsencode(path.resolve()), os.fsencode(alias))
        raw = _read_csv(alias) if suffix == ".csv" else _read_workbook(alias, workbooks)
    raw.path, raw.file_name = path, name
    for issue in raw.issues:
        issue.file = name
    return raw


# --- header detection ---------------------------------------------------------


@dataclass
class _Header:
    index: int  # 0-based record index in the file
    cells: list[str]
    mapping: dict[int, str]  # cell position -> canonical column
    issues: list[Issue]


def _match_header_row(cells: Sequence[object]) -> dict[int, str]:
    """Cell position -> canonical column. When a column is named exactly by one cell and
    by an alias in another (an export's institution_name beside institution_code), the
    exact name wins and the other cell is left unknown (a warning), not a duplicate."""
    mapping = {}
    for pos, cell in enumerate(cells):
        name = spec.match_header(cell)
        if name is not None:
            mapping[pos] = name
    exact: dict[str, list[int]] = {}
    for pos, name in mapping.items():
        if spec.normalize_key(str(cells[pos])) == spec.normalize_key(name):
            exact.setdefault(name, []).append(pos)
    # Only one exact cell decides; two exact cells stay a duplicate (an error).
    winner = {name: positions[0] for name, positions in exact.items() if len(positions) == 1}
    return {pos: name for pos, name in mapping.items() if name not in winner or winner[name] == pos}


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _header_issues(
    file_name: str,
    sheet: str | None,
    row_number: int,
    cells: list[Any],
    mapping: dict[int, str],
    column_has_data: dict[int, bool],
) -> list[Issue]:
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for pos, name in sorted(mapping.items()):
        if name in seen:
            first = seen[name]
            issues.append(
                Issue(
                    SEVERITY_ERROR,
                    f"columns {column_letter(first + 1)} ({_clip(_text(cells[first]))!r}) and {column_letter(pos + 1)} "
                    f"({_clip(_text(cells[pos]))!r}) both name {name}; keep one of them",
                    file_name,
                    sheet,
                    row_number,
                    name,
                    _clip(_text(cells[pos]), 500),
                    "each column once",
                    rule="duplicate_column",
                )
            )
        else:
            seen[name] = pos
    for pos, cell in enumerate(cells):
        text = _text(cell)
        if pos in mapping:
            continue
        if text:
            issues.append(
                Issue(
                    SEVERITY_WARNING,
                    f"column {column_letter(pos + 1)} {_clip(text)!r} is not a known column and was not loaded",
                    file_name,
                    sheet,
                    row_number,
                    _clip(text),
                    None,
                    "one of the columns of the submission format",
                    rule="unknown_column",
                )
            )
        elif column_has_data.get(pos):
            issues.append(
                Issue(
                    SEVERITY_WARNING,
                    f"column {column_letter(pos + 1)} has data but no header and was not loaded",
                    file_name,
                    sheet,
                    row_number,
                    column_letter(pos + 1),
                    None,
                    "a header naming one of the submission format's columns",
                    rule="unknown_column",
                )
            )
    missing = [c for c in spec.REQUIRED_COLUMNS if c not in seen]
    for name in missing:
        col = spec.COLUMNS_BY_NAME[name]
        issues.append(
            Issue(
                SEVERITY_ERROR,
                f"required column {name} is missing (accepted headers: {', '.join((name, *col.aliases))})",
                file_name,
                sheet,
                row_number,
                name,
                None,
                col.accepted,
                rule="missing_column",
            )
        )
    return issues


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


# --- CSV ----------------------------------------------------------------------


def _check_text_start(path: Path) -> None:
    """Refuse, from its first bytes, a file that is not text at all."""
    with open(path, "rb") as fh:
        start = fh.read(4096)
    # Zip first: an .xlsx has NUL bytes too, and deserves the better advice.
    if start.startswith(b"PK\x03\x04"):
        raise UnreadableFile("the file is a zip archive (perhaps an .xlsx) named .csv: rename it to .xlsx")
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableFile("the file is UTF-16 text: save it as CSV UTF-8 (or Windows-1252)")
    if b"\x00" in start:
        raise UnreadableFile("the file is not text (it contains NUL bytes): save it as CSV or .xlsx")


def _sha256_and_nul(path: Path) -> tuple[str, int | None]:
    """The file's SHA-256 and the offset of its first NUL byte (None when it has none), in one read."""
    digest = hashlib.sha256()
    nul, offset = None, 0
    with open(path, "rb") as fh:
        for chunk in iter(partial(fh.read, 1 << 20), b""):
            digest.update(chunk)
            if nul is None and (at := chunk.find(b"\x00")) >= 0:
                nul = offset + at
            offset += len(chunk)
    return digest.hexdigest(), nul


def _line_of(path: Path, offset: int) -> int:
    """The 1-based line holding byte ``offset``."""
    lines, done = 1, 0
    with open(path, "rb") as fh:
        while done < offset:
            chunk = fh.read(min(1 << 20, offset - done))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def _refuse_nul(path: Path, nul: int | None) -> None:
    if nul is not None:
        raise UnreadableFile(
            f"line {_line_of(path, nul)} holds a NUL byte (offset {nul}), which text never does: "
            "remove it, or save the file again as CSV UTF-8"
        )


# A multi-byte UTF-8 sequence: in a file that is otherwise Windows-1252, a sign that it mixes both.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _refuse_mixed_encodings(path: Path) -> None:
    """Refuse a file that is not UTF-8 but holds UTF-8 text too (rows pasted from two sources):
    read as Windows-1252 its UTF-8 rows would be stored garbled ("café" as "cafÃ©")."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    first_bad, utf8_at, offset = None, None, 0
    with open(path, "rb") as fh:
        for chunk in iter(partial(fh.read, 1 << 20), b""):
            if utf8_at is None and (m := _UTF8_SEQUENCE.search(chunk)):
                utf8_at = offset + m.start()
            if first_bad is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    first_bad = offset + exc.start
            offset += len(chunk)
            if first_bad is not None and utf8_at is not None:
                break
    if first_bad is not None and utf8_at is not None:
        raise UnreadableFile(
            f"the file mixes UTF-8 and Windows-1252 text: line {_line_of(path, first_bad)} is not UTF-8 "
            f"but line {_line_of(path, utf8_at)} is: save the whole file as CSV UTF-8"
        )


class _NotUtf8(Exception):
    """The text is not UTF-8: read it again as Windows-1252."""


def _transcode_to_utf8(path: Path, encoding: str) -> Path:
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="mcred-")
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                try:
                    dst.write(decoder.decode(chunk).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    bad = chunk[exc.start : exc.start + 1]
                    raise UnreadableFile(
                        f"the file is neither UTF-8 nor Windows-1252 text (byte 0x{bad.hex()} at offset "
                        f"{offset + exc.start}): save it as CSV UTF-8"
                    ) from exc
                offset += len(chunk)
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _head_records(head: str, delimiter: str, limit: int) -> list[list[str]]:
    """The first ``limit`` records of the file's head, split at ``delimiter``."""
    # newline="": a lone \r ends a line too (old Excel for Mac), as it does for the parsers below.
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)
    records = []
    try:
        for record in reader:
            records.append(record)
            if len(records) >= limit:
                break
    except csv.Error:
        pass
    return records


def _find_csv_header(text_path: Path) -> tuple[str, int, list[str], dict[int, str], int]:
    """The delimiter whose header row comes first (the most recognised columns on a tie), and
    the lines the header row and the rows above it take (a quoted cell may hold line breaks).
    The head is read once; a later delimiter is tried only on the rows up to the best so far."""
    with open(text_path, encoding="utf-8-sig", newline="") as fh:
        head = fh.read(256 * 1024)
    # (-index, matches, delimiter, the records up to the header's, its mapping)
    best: tuple[int, int, str, list[list[str]], dict[int, str]] | None = None
    for delimiter in DELIMITERS:
        limit = HEADER_SEARCH_ROWS if best is None else -best[0] + 1
        records = _head_records(head, delimiter, limit)
        for index, record in enumerate(records):
            mapping = _match_header_row(record)
            if len(set(mapping.values())) >= spec.MIN_HEADER_MATCHES:
                candidate = (-index, len(mapping), delimiter, records[: index + 1], mapping)
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
                break
    if best is None:
        raise UnreadableFile(
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows: the header row must name at least "
            f"{spec.MIN_HEADER_MATCHES} columns of the submission format (e.g. institution_code, "
            "reporting_period, offering_id, title), separated by commas, semicolons or tabs"
        )
    neg_index, _, delimiter, above, mapping = best
    record = above[-1]
    _refuse_wide(len(record), -neg_index + 1, complete=len(head) < 256 * 1024)
    lines = sum(1 + sum(len(_LINE_BREAK.findall(cell)) for cell in row) for row in above)
    return delimiter, -neg_index, record, mapping, lines


def _refuse_wide(width: int, row: int, complete: bool = True) -> None:
    """A row wider than any submission: parsing it would cost minutes (one Arrow column per cell)."""
    limit = workbook_scan.LIMITS.columns
    if width > limit:
        count = f"{width:,}" if complete else f"at least {width:,}"
        raise UnreadableFile(
            f"row {row} has {count} cells; a submission has at most {limit:,} columns: remove the columns beyond "
            "your data and save the file again",
            row=row,
        )


def _read_csv(path: Path) -> RawSubmissionTable:
    """UTF-8 first (the parsers check every byte of it), Windows-1252 when that fails; the
    SHA-256 is computed alongside, on another thread (hashing and file reads release the GIL)."""
    _check_text_start(path)
    with ThreadPoolExecutor(max_workers=1) as pool:
        sha = pool.submit(_sha256_and_nul, path)
        try:
            delimiter, header_index, header_cells, mapping, table = _parse_csv(path)
        except _NotUtf8:
            _refuse_nul(path, sha.result()[1])
            _refuse_mixed_encodings(path)
            text_path = _transcode_to_utf8(path, "cp1252")
            try:
                delimiter, header_index, header_cells, mapping, table = _parse_csv(text_path)
            finally:
                os.unlink(text_path)
        digest, nul = sha.result()
        _refuse_nul(path, nul)
        header_row = header_index + 1
        return _assemble(path, safe_name(path.name), digest, None, header_row, header_cells, mapping, table)


def _parse_csv(text_path: Path) -> tuple[str, int, list[str], dict[int, str], pa.Table]:
    try:
        delimiter, header_index, header_cells, mapping, lines_above = _find_csv_header(text_path)
        table = _parse_csv_fast(text_path, delimiter, len(header_cells), lines_above)
        if table is None:
            table = _parse_csv_tolerant(text_path, delimiter, header_index, len(header_cells))
    except UnicodeDecodeError as exc:
        raise _NotUtf8 from exc
    return delimiter, header_index, header_cells, mapping, table


# pyarrow's block: what one thread parses at a time. The 136 MB file of 125 submissions in
# 17 blocks of 8 MB loaded in 2.52-2.66 s, in 9 of 16 MB in 2.63-2.69 s (the last block on one
# core alone); the 360 MB single submission alike (3.45-3.74 s against 3.53-3.67 s).
CSV_BLOCK_BYTES = 8 << 20


def _parse_csv_fast(text_path: Path, delimiter: str, width: int, lines_above: int) -> pa.Table | None:
    """pyarrow's multi-threaded parser; None when some row has the wrong number of fields.

    ``lines_above`` is what pyarrow's ``skip_rows`` counts: the lines of the header row and of
    the rows above it, a line break inside a quoted cell of theirs starting a line of its own.
    (Reading as if no value held a line break, which spares pyarrow following the quoting
    through the whole file, was tried and refused: a block cut inside a quoted value can then
    be parsed into rows of the right width, silently wrong.)"""
    names = [f"c{i}" for i in range(width)]
    ragged: list[Any] = []

    def on_invalid(row: Any) -> str:
        ragged.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            text_path,
            read_options=pacsv.ReadOptions(skip_rows=lines_above, column_names=names, block_size=CSV_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, ignore_empty_lines=False, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        if "UTF8" in str(exc) or "UTF-8" in str(exc):
            raise _NotUtf8 from exc
        return None
    if ragged:
        return None
    return table


def _parse_csv_tolerant(text_path: Path, delimiter: str, header_index: int, width: int) -> pa.Table:
    """The csv module, row by row: pads short rows and keeps extra cells (flagged later)."""
    with open(text_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        rows = []
        try:
            for index, record in enumerate(reader):
                if index <= header_index:
                    continue
                _refuse_wide(len(record), index + 1)
                rows.append(record)
        except csv.Error as exc:
            raise UnreadableFile(f"the CSV cannot be parsed near row {header_index + len(rows) + 2}: {exc}") from exc
    width = max([width, *(len(r) for r in rows)]) if rows else width
    columns = [[(r[i] if i < len(r) else "") for r in rows] for i in range(width)]
    return pa.table({f"c{i}": array(col, pa.string()) for i, col in enumerate(columns)})


# --- XLSX ---------------------------------------------------------------------


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(
            "the file is not a valid .xlsx workbook (not a zip archive): open it in Excel and save it as .xlsx"
        ) from exc
    if len(infos) > XLSX_MAX_MEMBERS:
        raise UnreadableFile(f"the workbook has {len(infos)} parts, more than {XLSX_MAX_MEMBERS}: refused as unsafe")
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > XLSX_MAX_UNPACKED_BYTES or unpacked / packed > XLSX_MAX_RATIO:
        raise UnreadableFile("the workbook unpacks to an implausible size (a zip bomb?): refused as unsafe")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise UnreadableFile("the file is a zip archive but not an .xlsx workbook")


def _read_xlsx(path: Path) -> RawSubmissionTable:
    """Values through fastexcel (calamine, in Rust, straight into Arrow: no Python object
    per cell); openpyxl only for the rare check of formulas saved without results.

    Runs inside the child process of :func:`_read_xlsx_isolated`. A sheet of up to
    SERIAL_SCAN_BYTES of XML is measured first (:mod:`etl.workbook_scan`): the hostile workbooks
    are small, a few KB asking for gigabytes, and measuring them costs milliseconds. A bigger
    sheet is read under the child's memory limit and its result checked against the same
    limits (:func:`_check_read_limits`): measuring 200 MB of XML first would cost more than a
    second on every legitimate 200,000-row read, and beside calamine it competes for the CPU
    (measured: read_xlsx 1.6 times slower). When the child dies, the parent measures the file to
    name the limit (:func:`_death`)."""
    sha = sha256_of(path)
    _check_zip(path)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = workbook_scan.chosen_sheet_part(archive)
            xml_bytes = sum(archive.getinfo(p).file_size for p in parts) + sum(
                i.file_size for i in archive.infolist() if i.filename.lower() == "xl/sharedstrings.xml"
            )
    except (workbook_scan.LimitExceeded, workbook_scan.UnsafeXml) as exc:
        raise _limit_error(exc) from exc
    if xml_bytes <= SERIAL_SCAN_BYTES:
        done: Future[bool] = Future()
        done.set_result(_scan_limits(path))
        return _read_xlsx_values(path, sha, done)
    # Whether the sheet holds formulas is a second unzip of its XML: done on another
    # thread while calamine parses (zlib lets go of the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        return _read_xlsx_values(path, sha, pool.submit(_workbook_has_formulas, path, parts))


# Sheet XML (with the shared strings) up to this size is measured before the reader starts.
SERIAL_SCAN_BYTES = 32 << 20


def _scan_limits(path: Path) -> bool:
    """Check the workbook against :data:`etl.workbook_scan.LIMITS`; whether its sheet holds formulas."""
    try:
        facts = workbook_scan.scan_workbook(path)
    except (workbook_scan.LimitExceeded, workbook_scan.UnsafeXml) as exc:
        raise _limit_error(exc) from exc
    return any(f.has_formulas for f in facts)


def _check_read_limits(columns: list[pa.Array], sheet: str) -> None:
    """The limits on what calamine built (a big sheet is not measured before): its columns,
    the cells it spans and the text in them."""
    height = len(columns[0]) if columns else 0
    facts = workbook_scan.SheetFacts(
        part=sheet,
        cells=height * len(columns),
        min_row=1,
        max_row=height,
        min_col=1,
        max_col=len(columns),
        text_bytes=sum(pc.sum(pc.binary_length(c)).as_py() or 0 for c in columns),
    )
    try:
        workbook_scan.check(facts)
    except workbook_scan.LimitExceeded as exc:
        raise UnreadableFile(str(exc), sheet=sheet) from exc


def _limit_error(exc: Exception) -> UnreadableFile:
    if isinstance(exc, workbook_scan.UnsafeXml):
        return UnreadableFile(
            "the .xlsx workbook cannot be opened: its XML declares entities (refused as unsafe); "
            "open it in Excel and save it again"
        )
    return UnreadableFile(f"{exc}; refused before reading it")


# --- the workbook reader in a child process ------------------------------------------------
#
# calamine is Rust: a workbook that asks for more memory than there is aborts the whole process
# (SIGABRT, no exception), and nothing bounds its time. Each .xlsx is therefore read in a child
# process (forked: a few milliseconds, where a fresh interpreter would spend a second on imports;
# multiprocessing's forkserver and spawn would run the caller's main script again in every child),
# under an address-space limit (what it inherited plus MCRED_READ_MEMORY_MB), a CPU limit and a
# wall-clock deadline. The table comes back as an Arrow IPC file that the parent memory-maps (no
# copy through a pipe), in a temporary folder removed when the read ends, whatever happened.

READ_MEMORY_ENV = "MCRED_READ_MEMORY_MB"
READ_SECONDS_ENV = "MCRED_READ_SECONDS"
DEFAULT_READ_MEMORY_MB = 2048
DEFAULT_READ_SECONDS = 300


def _positive_env(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else default


def read_limits() -> tuple[int, int]:
    """(memory in MB, seconds) one workbook's reader may use: MCRED_READ_MEMORY_MB, MCRED_READ_SECONDS."""
    return _positive_env(READ_MEMORY_ENV, DEFAULT_READ_MEMORY_MB), _positive_env(READ_SECONDS_ENV, DEFAULT_READ_SECONDS)


def _address_space() -> int:
    """Bytes of address space this process has mapped now (what a fork inherits)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


class _WithoutPandas:
    """An import finder that has no pandas. pyarrow imports pandas (0.45 s) at its first
    conversion of a Python value or NumPy array, only to ask whether the value is a pandas
    object: never so in the reader's child, which is spared the import."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r} (not needed to read a workbook)", name=name)


def _xlsx_child(send: Callable[[tuple[Any, ...]], None], path: str, memory_mb: int, seconds: int, out: str) -> None:
    """The child: limits first, then the read; one message back (through ``send``)."""
    faulthandler.disable()  # a test runner's fault handler would print the abort on its own stream
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # a Rust abort prints its backtrace on stderr: not the user's business
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    budget = _address_space() + (memory_mb << 20)
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _WithoutPandas())
    try:
        raw = _read_xlsx(Path(path))
        table, raw.table = raw.table, None
        with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        send(("ok", raw))
    except UnreadableFile as exc:
        send(("unreadable", exc.message, exc.column, exc.row, exc.sheet))
    except MemoryError:
        send(("memory",))
    except BaseException as exc:  # noqa: BLE001 - a Rust panic is a BaseException; reported, never raised here
        send(("error", _one_line(exc)))


@functools.cache
def _warm_up() -> None:
    """Import in the parent what every child would otherwise import again (fastexcel)."""
    import fastexcel  # noqa: F401


def _read_xlsx_isolated(path: Path) -> RawSubmissionTable:
    """Read an .xlsx in a child process with bounded memory and time; a file that exceeds them is
    an :class:`UnreadableFile` naming the limit, and the caller's process goes on."""
    _warm_up()
    memory_mb, seconds = read_limits()
    ctx = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory(prefix="mcred-read-") as tmp:
        out = os.path.join(tmp, "table.arrow")
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_xlsx_child, args=(send.send, str(path), memory_mb, seconds, out), daemon=True)
        child.start()
        send.close()
        message: tuple[Any, ...] | None = None
        timed_out = False
        try:
            if receive.poll(seconds):
                try:
                    message = receive.recv()
                except EOFError:
                    message = None  # the child died without a word
            else:
                timed_out = True
        finally:
            if timed_out or message is None:
                child.kill()
            child.join()
            receive.close()
        return _child_outcome(path, message, child.exitcode, timed_out, memory_mb, seconds, out)


def _child_outcome(
    path: Path,
    message: tuple[Any, ...] | None,
    exitcode: int | None,
    timed_out: bool,
    memory_mb: int,
    seconds: int,
    out: str,
) -> RawSubmissionTable:
    """The table a child read (from its message and the table file ``out``), or the
    :class:`UnreadableFile` that says why there is none."""
    if timed_out or exitcode == -signal.SIGXCPU:
        raise UnreadableFile(
            f"reading the workbook took longer than the {seconds} s a workbook may take ({READ_SECONDS_ENV}): "
            "save it again from Excel, or as CSV"
        )
    if message is None:
        raise _death(path, exitcode, memory_mb)
    kind = message[0]
    if kind == "ok":
        raw: RawSubmissionTable = message[1]
        raw.table = pa.ipc.open_file(pa.memory_map(out)).read_all()  # mapped: stays valid once unlinked
        raw.path = path
        return raw
    if kind == "unreadable":
        _, text, column, row, sheet = message
        raise UnreadableFile(text, column=column, row=row, sheet=sheet)
    if kind == "memory":
        raise _memory_error(memory_mb)
    raise UnreadableFile(f"the .xlsx workbook cannot be read ({message[1]}): open it in Excel and save it again")


# Workbooks up to this size (about 10,000 rows) may be read ahead of the caller: a few of them
# at once cost little memory and disk, and most of the time of so small a read is the fork.
READ_AHEAD_BYTES = 1 << 20


class WorkbookReaders:
    """Workbooks read in bounded children forked by a zygote: a process forked from the caller
    before it opens a database or starts threads, that forks a child per workbook on request
    and tells how each ended. Two children run at once; a workbook may be submitted long before
    its table is asked for (see :meth:`may_read_ahead`), so that it is read on the other core.

    Each child is the one :func:`_read_xlsx_isolated` forks (the same limits of memory and
    CPU, the same message and table file); the zygote stops it at the wall-clock deadline.
    A fork costs in proportion to what the forking process has mapped: a loader holding DuckDB
    and a batch of tables paid 20 ms and more a workbook for its forks and their exits, on
    its own core. Should the zygote be gone (killed from outside), a workbook is read in a
    child of the caller, as without it."""

    def __init__(self, children: int = 2):
        _warm_up()
        self._tmp = tempfile.TemporaryDirectory(prefix="mcred-read-")
        self._tickets = itertools.count()
        self._asked: dict[int, tuple[Path, int, int, str]] = {}  # ticket -> (path, memory, seconds, out)
        self._ended: dict[int, tuple[int, bool]] = {}  # ticket -> (exit code, stopped at the deadline)
        ours, theirs = multiprocessing.Pipe()
        pid = os.fork()
        if pid == 0:  # the zygote
            code = 0
            try:
                ours.close()
                _zygote(theirs, children)
            except BaseException:  # noqa: BLE001 - the zygote never returns into the caller's code
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        self._conn: multiprocessing.connection.Connection | None = ours
        self._pid = pid

    def may_read_ahead(self, path: Path) -> bool:
        """Whether ``path`` is a small .xlsx whose read :func:`read_submission_file` would hand
        straight to a child (a regular file, not empty, its path UTF-8)."""
        if path.suffix.lower() != ".xlsx":
            return False
        try:
            os.fspath(path).encode("utf-8")
            info = os.stat(path)
        except (OSError, UnicodeEncodeError):
            return False
        return stat.S_ISREG(info.st_mode) and 0 < info.st_size <= READ_AHEAD_BYTES

    def submit(self, path: Path) -> int:
        """Start reading the workbook at ``path``; the ticket to ask its table with."""
        memory_mb, seconds = read_limits()
        ticket = next(self._tickets)
        out = os.path.join(self._tmp.name, f"{ticket}.arrow")
        self._asked[ticket] = (path, memory_mb, seconds, out)
        if self._conn is not None:
            try:
                self._conn.send((ticket, str(path), memory_mb, seconds, out))
            except OSError:
                self._lost()
        return ticket

    def result(self, ticket: int) -> RawSubmissionTable:
        """The table of a submitted workbook; UnreadableFile when it cannot be read."""
        path, memory_mb, seconds, out = self._asked.pop(ticket)
        try:
            while ticket not in self._ended and self._conn is not None:
                self._receive(seconds)
            if ticket not in self._ended:
                return _read_xlsx_isolated(path)
            exitcode, timed_out = self._ended.pop(ticket)
            message = None
            with contextlib.suppress(FileNotFoundError):
                with open(out + ".message", "rb") as fh:
                    message = pickle.load(fh)
            return _child_outcome(path, message, exitcode, timed_out, memory_mb, seconds, out)
        finally:
            for name in (out, out + ".message"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)

    def _receive(self, seconds: int) -> None:
        """One child's end. The zygote reports at least every ``seconds`` while it reads: silent
        longer than that, it is stuck, and stopped."""
        assert self._conn is not None
        try:
            if not self._conn.poll(seconds + 30):
                raise EOFError
            ticket, exitcode, timed_out = self._conn.recv()
        except (EOFError, OSError):
            self._lost()
            return
        self._ended[ticket] = (exitcode, timed_out)

    def _lost(self) -> None:
        """The zygote is gone or stuck: what it has not reported is read in the caller's children."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)

    def close(self) -> None:
        """Stop the zygote (which stops the children still reading) and remove the tables not asked for."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._pid, 0)
        self._tmp.cleanup()

    def __enter__(self) -> WorkbookReaders:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def workbook_readers(files: Sequence[Path]) -> Iterator[WorkbookReaders | None]:
    """A :class:`WorkbookReaders` when ``files`` hold an .xlsx (None otherwise), stopped after."""
    if not any(Path(f).suffix.lower() == ".xlsx" for f in files):
        yield None
        return
    with WorkbookReaders() as workbooks:
        yield workbooks


def _zygote(conn: multiprocessing.connection.Connection, children: int) -> None:
    """Fork a child per request ``(ticket, path, memory MB, seconds, out)``, at most ``children``
    at once, and send ``(ticket, exit code, stopped at the deadline)`` as each ends. The caller
    closing its end stops the children still reading, and the zygote."""
    gc.freeze()  # the children's collections leave the zygote's objects (and their pages) alone
    waiting: list[tuple[int, str, int, int, str]] = []
    running: dict[int, tuple[int, int, float]] = {}  # pidfd -> (ticket, pid, deadline)
    stopped: set[int] = set()
    try:
        while True:
            while waiting and len(running) < children:
                ticket, path, memory_mb, seconds, out = waiting.pop(0)
                pid = os.fork()
                if pid == 0:
                    conn.close()
                    try:
                        _xlsx_child(_sender(out + ".message"), path, memory_mb, seconds, out)
                    finally:
                        os._exit(0)
                running[os.pidfd_open(pid)] = (ticket, pid, time.monotonic() + seconds)
            now = time.monotonic()
            for fd, (_, pid, deadline) in running.items():
                if deadline <= now and fd not in stopped:
                    os.kill(pid, signal.SIGKILL)
                    stopped.add(fd)
            timeout = max(0.0, min(d for _, _, d in running.values()) - now) if running else None
            for ready in multiprocessing.connection.wait([conn, *running], timeout):
                if ready is conn:
                    try:
                        waiting.append(conn.recv())
                    except EOFError:
                        return
                    continue
                assert isinstance(ready, int)
                ticket, pid, _ = running.pop(ready)
                os.close(ready)
                _, status = os.waitpid(pid, 0)
                conn.send((ticket, os.waitstatus_to_exitcode(status), ready in stopped))
                stopped.discard(ready)
    finally:
        for _, pid, _ in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for _, pid, _ in running.values():
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _sender(path: str) -> Callable[[tuple[Any, ...]], None]:
    """A child's one message, written to ``path`` whole or not at all."""

    def send(message: tuple[Any, ...]) -> None:
        with open(path + ".part", "wb") as fh:
            pickle.dump(message, fh)
        os.replace(path + ".part", path)

    return send


def _memory_error(memory_mb: int) -> UnreadableFile:
    return UnreadableFile(
        f"reading the workbook needs more than the {memory_mb:,} MB of memory a workbook may use "
        f"({READ_MEMORY_ENV}): save it as CSV, or split it into several files"
    )


def _death(path: Path, exitcode: int | None, memory_mb: int) -> UnreadableFile:
    """Why the child died: a limit the scan names (measured again here: the child may have died
    before its scan finished), else the memory limit (calamine aborts when an allocation fails)."""
    try:
        _scan_limits(path)
    except UnreadableFile as named:
        return named
    except Exception:  # noqa: BLE001 - the scan itself failing says no more than the death did
        pass
    if exitcode in (-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV, -signal.SIGBUS):
        return _memory_error(memory_mb)
    return UnreadableFile(
        f"the .xlsx workbook reader stopped (exit {exitcode}): open the file in Excel and save it again, or save it as CSV"
    )


# How cell values read as text: numbers as written (1 for 1.0), true/false, a date as
# 2024-09-30, a date and time as 2024-09-30 12:30:00, a time of day as 13:45:00. calamine
# gives a date as midnight and a time as a time on Excel's day zero: both cut here.
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"
_TIME_OF_DAY = r"^1899-12-3[01] (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$"
# (pattern, the plain test a cell must pass to match it, the part of a match that is kept: its
# group, as code units). The plain suffix or prefix test is some ten times cheaper than the
# regex, which then runs only on a column that may hold a match (the two date columns of a
# submission, not the other 22), once: the matches are cut by slicing, not by a second regex.
_PATTERNS = (
    (_MIDNIGHT, pc.ends_with, " 00:00:00", 0, 10),
    (_TIME_OF_DAY, pc.starts_with, "1899-12-3", 11, None),
)


def _sheet_columns(batch: pa.RecordBatch, positions: list[int]) -> list[pa.Array]:
    """The sheet's cells as text, one array per column from column A (a sheet whose used
    area starts further right gets empty columns before it: ``positions`` are the
    columns' own), "" as missing."""
    columns: list[pa.Array] = []
    for position, column in zip(positions, batch.columns):
        while len(columns) < position:
            columns.append(pa.nulls(batch.num_rows, pa.string()))
        if column.type != pa.string():
            column = pc.cast(column, pa.string())
        # Empty text is rare (a spreadsheet program writes no cell): the cells' lengths tell
        # whether there is any, and only then is the column rebuilt.
        lengths = pc.binary_length(column)
        if pc.min(lengths).as_py() == 0:
            column = pc.if_else(pc.equal(lengths, 0), pa.scalar(None, pa.string()), column)
        for pattern, test, affix, start, stop in _PATTERNS:
            if not pc.any(test(column, affix)).as_py():
                continue
            matched = pc.match_substring_regex(column, pattern)
            if pc.any(matched).as_py():
                column = pc.if_else(matched, pc.utf8_slice_codeunits(column, start, stop), column)
        columns.append(column)
    return columns


def _one_line(exc: BaseException) -> str:
    """An exception from the workbook reader in one line (calamine's carry a multi-line context)."""
    text = str(exc).strip()
    return _clip(f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": "), 300)


def _read_xlsx_values(path: Path, sha: str, has_formulas: Future[bool]) -> RawSubmissionTable:
    import fastexcel  # imported here: only .xlsx loads pay for it

    try:
        workbook = fastexcel.read_excel(str(path))
        names = list(workbook.sheet_names)
    except Exception as exc:  # calamine raises several kinds for a damaged workbook
        raise UnreadableFile(
            f"the .xlsx workbook cannot be opened ({_one_line(exc)}): open it in Excel and save it again"
        ) from exc
    if not names:
        raise UnreadableFile(
            "the .xlsx workbook cannot be opened: it has no readable sheets (open it in Excel and save it again)"
        )
    chosen = next((n for n in names if n.strip().lower() == "offerings"), names[0])
    try:
        # Every cell as text, from row 1 (header_row=None with skip_rows=0 keeps leading
        # empty rows), so that positions are the row and column numbers a person sees.
        positions: list[int] = []

        def keep_column(info: Any) -> bool:
            positions.append(info.absolute_index)  # the sheet's own column numbers, gaps kept
            return True

        batch = workbook.load_sheet(
            chosen,
            header_row=None,
            skip_rows=0,
            dtypes="string",
            eager=True,
            use_columns=keep_column,
        )
        columns = _sheet_columns(batch, positions)
        _check_read_limits(columns, chosen)
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile(
            f"sheet {chosen!r} cannot be read ({_one_line(exc)}): open the file in Excel and save it again",
            sheet=chosen,
        ) from exc
    height = len(columns[0]) if columns else 0
    head = [col.slice(0, HEADER_SEARCH_ROWS).to_pylist() for col in columns]
    header_index = None
    header_cells: list[Any] = []
    mapping: dict[int, str] = {}
    for index in range(min(HEADER_SEARCH_ROWS, height)):
        cells = [col[index] for col in head]
        found = _match_header_row(cells)
        if len(set(found.values())) >= spec.MIN_HEADER_MATCHES:
            header_index, header_cells, mapping = index, cells, found
            break
    if header_index is None:
        raise UnreadableFile(
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows of sheet {chosen!r}: the header row "
            f"must name at least {spec.MIN_HEADER_MATCHES} columns of the submission format",
            sheet=chosen,
        )
    body = [col.slice(header_index + 1) for col in columns]
    links, macros = _links_and_macros(path)
    formula_issues = _workbook_notes(path, chosen, links, macros)
    if has_formulas.result():
        filled = [pc.is_valid(col).to_numpy(zero_copy_only=False) for col in body]
        formula_issues += _formulas_without_results(path, chosen, header_index, filled, mapping, links)
    table = (
        pa.table({f"c{i}": values for i, values in enumerate(body)})
        if body
        else pa.table({"c0": pa.array([], type=pa.string())})
    )
    raw = _assemble(path, safe_name(path.name), sha, chosen, header_index + 1, header_cells, mapping, table)
    raw.issues.extend(formula_issues)
    return raw


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
MAX_FORMULA_ISSUES = 20


def _workbook_has_formulas(path: Path, parts: list[str]) -> bool:
    """Whether the XML of the worksheet parts that may be read (see
    :func:`etl.workbook_scan.chosen_sheet_part`, as the scan of a smaller workbook does) holds a
    formula: only the chosen sheet's formulas are looked for, so the other sheets of a workbook
    are not unzipped for nothing."""
    with zipfile.ZipFile(path) as archive:
        for member in parts:
            tail = b""
            with archive.open(member) as fh:
                for chunk in iter(partial(fh.read, 1 << 20), b""):
                    text = tail + chunk
                    if _may_hold_formula(text) and _FORMULA_TAG.search(text):
                        return True
                    tail = chunk[-16:]
    return False


_LT, _COLON, _F = ord("<"), ord(":"), ord("f")


def _may_hold_formula(text: bytes) -> bool:
    """Whether some 'f' follows '<' or ':' (a formula tag, <f or <x:f, starts so), found with
    numpy: the regex over every '<' of a big sheet, or even a substring search for "<f" (every
    tag starts with '<'), costs five times as much (0.45 s for 200 MB of sheet, this 0.09 s)."""
    buf = np.frombuffer(text, np.uint8)
    before = buf[np.flatnonzero(buf[1:] == _F)]
    return bool(((before == _LT) | (before == _COLON)).any())


def _links_and_macros(path: Path) -> tuple[list[str], str | None]:
    """The files the workbook links to, and the part holding its macros (see etl.workbook_scan)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return workbook_scan.external_links(archive), workbook_scan.has_macros(archive)
    except (workbook_scan.LimitExceeded, workbook_scan.UnsafeXml, zipfile.BadZipFile, KeyError):
        return ["(unnamed)"], None


def _workbook_notes(path: Path, sheet: str, links: list[str], macros: str | None) -> list[Issue]:
    """Warnings about what the workbook holds besides values: macros (never run) and links to
    other workbooks (never opened: their cells are read as last saved)."""
    name = safe_name(path.name)
    out = []
    if macros:
        out.append(
            Issue(
                SEVERITY_WARNING,
                f"the workbook is macro-enabled (it holds {safe_name(macros)}, as an .xlsm does): its macros were not "
                "run, only the cells' saved values were read; save it as a plain Excel workbook (.xlsx) next time",
                name,
                sheet,
                None,
                None,
                None,
                "a workbook without macros",
                rule="workbook_macros",
            )
        )
    if links:
        files = ", ".join(_clip(safe_name(f), 80) for f in links[:5]) + (" ..." if len(links) > 5 else "")
        out.append(
            Issue(
                SEVERITY_WARNING,
                f"the workbook links to {len(links)} other workbook{'s' if len(links) != 1 else ''} ({files}): those "
                "files were not opened, and cells that take their values from them were read as last saved; paste the "
                "values in (Paste Special > Values) to be sure",
                name,
                sheet,
                None,
                None,
                None,
                "values, not links to other workbooks",
                rule="workbook_external_links",
            )
        )
    return out


_LINK_REF = re.compile(r"\[(\d+)\]")


def _formula_problem(cell: str, text: str, links: list[str]) -> tuple[str, str, str]:
    """(message, expected, rule) for a formula cell without a saved result."""
    link = _LINK_REF.search(text)
    if link:
        n = int(link.group(1))
        target = safe_name(links[n - 1]) if 0 < n <= len(links) else "another workbook"
        return (
            f"cell {cell} takes its value from another workbook ({_clip(target, 80)}) through the formula "
            f"{_clip(text)!r}, and no usable value was saved with it: linked files are never opened; paste the value in "
            "(Paste Special > Values), save and upload again",
            "a value, not a link to another workbook",
            "external_link",
        )
    return (
        f"cell {cell} holds the formula {_clip(text)!r} but no saved result: open the file in "
        "Excel (or another spreadsheet program), save it and load it again, or paste the values",
        "a value, or a formula with its saved result",
        "formula_without_result",
    )


def _formula_text(value: object) -> str | None:
    if isinstance(value, str):
        return value if value.startswith("=") else None
    text = getattr(value, "text", None)  # ArrayFormula
    return str(text) if text is not None else None


def _formulas_without_results(
    path: Path, sheet_name: str, header_index: int, filled: list[Any], mapping: dict[int, str], links: list[str]
) -> list[Issue]:
    """Formula cells of loaded columns that have no saved result (files written by programs
    that do not calculate, e.g. openpyxl): read as empty they would silently lose a value."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    found: list[tuple[int, int, str]] = []
    try:
        sheet = workbook[sheet_name]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        for index, row in enumerate(sheet.iter_rows(values_only=True)):
            n = index - header_index - 1
            if n < 0:
                continue
            for pos, value in enumerate(row):
                if pos not in mapping or (pos < len(filled) and n < len(filled[pos]) and filled[pos][n]):
                    continue
                text = _formula_text(value)
                if text is not None:
                    found.append((index + 1, pos, text))
    finally:
        workbook.close()
    issues = []
    for at_row, pos, text in found[:MAX_FORMULA_ISSUES]:
        message, expected, rule = _formula_problem(f"{column_letter(pos + 1)}{at_row}", text, links)
        issues.append(
            Issue(
                SEVERITY_ERROR,
                message,
                safe_name(path.name),
                sheet_name,
                at_row,
                mapping[pos],
                _clip(text, 500),
                expected,
                rule=rule,
            )
        )
    if len(found) > MAX_FORMULA_ISSUES:
        issues.append(
            Issue(
                SEVERITY_ERROR,
                f"... and {len(found) - MAX_FORMULA_ISSUES} more formula cells without a saved result",
                safe_name(path.name),
                sheet_name,
                None,
                None,
                None,
                "a value, or a formula with its saved result",
                rule="formula_without_result",
            )
        )
    return issues


# --- common -------------------------------------------------------------------


def _assemble(
    path: Path,
    file_name: str,
    sha: str,
    sheet: str | None,
    header_row: int,
    header_cells: list[Any],
    mapping: dict[int, str],
    table: pa.Table,
) -> RawSubmissionTable:
    """Keep recognised columns under canonical names and number the rows."""
    width = table.num_columns
    has_data = {}
    for pos in range(width):
        if pos in mapping or _text(header_cells[pos] if pos < len(header_cells) else None):
            continue
        col = table.column(pos)
        empty = scalar("", pa.string())
        has_data[pos] = bool(len(col)) and bool(pc.any(pc.not_equal(pc.utf8_trim_whitespace(col), empty)).as_py())
    cells = list(header_cells) + [None] * max(0, width - len(header_cells))
    issues = _header_issues(file_name, sheet, header_row, cells, mapping, has_data)
    chosen: dict[str, int] = {}
    for pos, name in sorted(mapping.items()):
        chosen.setdefault(name, pos)
    rows = from_numpy(np.arange(header_row + 1, header_row + 1 + table.num_rows, dtype=np.int64))
    arrays = [rows] + [table.column(pos) for pos in chosen.values() if pos < width]
    names = [ROW_COLUMN] + [name for name, pos in chosen.items() if pos < width]
    headers = {name: _text(cells[pos]) for name, pos in chosen.items()}
    for name, values in zip(names[1:], arrays[1:]):
        _refuse_long_cells(name, values, header_row, sheet)
    return RawSubmissionTable(path, file_name, sha, sheet, header_row, pa.table(arrays, names=names), headers, issues)


def _refuse_long_cells(name: str, values: Any, header_row: int, sheet: str | None) -> None:
    """No cell longer than a spreadsheet cell holds (32,767 characters): the bytes are checked
    first (cheap, and never fewer than the characters), the characters only when they might be."""
    limit = workbook_scan.LIMITS.cell_chars
    if not len(values) or (pc.max(pc.binary_length(values)).as_py() or 0) <= limit:
        return
    lengths = pc.utf8_length(values)
    longest = pc.max(lengths).as_py() or 0
    if longest > limit:
        at = pc.index(pc.greater(lengths, scalar(limit, pa.int32())), scalar(True, pa.bool_())).as_py()
        raise UnreadableFile(
            f"row {header_row + 1 + at}, column {name} holds {lengths[at].as_py():,} characters; a cell holds at most "
            f"{limit:,}: shorten it",
            column=name,
            row=header_row + 1 + at,
            sheet=sheet,
        )


def find_submission_files(paths: list[Path]) -> list[Path]:
    """Expand folders to the .csv and .xlsx files in them (sorted); keep files as given."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    # Not only regular files: a FIFO or device named *.csv is reported, not skipped.
                    if not f.is_dir() and f.suffix.lower() in SUPPORTED_SUFFIXES and not f.name.startswith(("~$", "."))
                )
            )
        else:
            found.append(p)
    return found
