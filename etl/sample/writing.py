"""Writing files: CSV built column-wise as spreadsheet programs write it, XLSX with fixed
timestamps (same seed, same bytes), and the entry points write_sample and write_submission."""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.config import DEFAULT_DATA_DIR
from etl.reference import read_institutions
from etl.sample.dialects import DEFAULT_DIALECT, DIALECTS, EXCEL_CSV, Dialect
from etl.sample.generation import generate_offerings, revise, take_rows
from etl.sample.rendering import Rendered, decoded, period_text, render, rendered_for_file
from etl.sample.scenario import (
    DEFAULT_OFFERINGS,
    DEFAULT_SEED,
    LATE_ADDITIONS,
    REVISED,
    PlannedFile,
    pair_sizes,
    plan_files,
    received_times,
)

# Files bigger than this are written as CSV even for institutions that send XLSX.
XLSX_MAX_ROWS = 5_000
# Fixed timestamps keep XLSX bytes identical from run to run.
FIXED_TIME = dt.datetime(2025, 1, 1, 0, 0, 0)
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
RECEIVED_FILE = "received.toml"
RECEIVED_HEADER = """\
# When each sample file reached the ministry (Pacific time), written by `mcred sample`.
# `mcred serve` records the bundled files as loaded at these moments, so the submissions
# page shows the on-time and late files of their dates (deadlines: etl/data/deadlines.toml).

[received]
"""
# A name write_sample may overwrite or remove (never any other file in the folder).
SAMPLE_FILE_NAME = re.compile(r"^\d{4}_[A-Za-z0-9]+_\d+\.(csv|xlsx)$")

ProgressCallback = Callable[[int, int, str], None]


# --- writing files -----------------------------------------------------------------------


def _csv_field(column: pa.Array, delimiter: str) -> pa.Array:
    """Text cells quoted only where needed, as spreadsheet programs write them."""
    if pa.types.is_dictionary(column.type):
        # Quote each distinct value once, then spread them over the cells.
        return pc.fill_null(_csv_field(column.dictionary, delimiter).take(column.indices), "")
    if not pa.types.is_string(column.type):
        return pc.fill_null(pc.cast(column, pa.string()), "")  # numbers and dates never need quotes
    text = pc.fill_null(column, "")
    needs = pc.match_substring_regex(text, '["\r\n' + re.escape(delimiter) + "]")
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)


def _csv_line(cells: list[str], delimiter: str) -> str:
    out = []
    for cell in cells:
        if any(ch in cell for ch in ('"', "\r", "\n", delimiter)):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return delimiter.join(out)


CSV_CHUNK_ROWS = 100_000  # rows joined at a time: bounds memory for multi-million-row files


def write_csv(
    path: Path,
    headers: list[str],
    columns: list[pa.Array],
    *,
    delimiter: str = ",",
    eol: str = "\n",
    encoding: str = "utf-8",
    blank_rows: int = 0,
) -> None:
    """Write a CSV as a spreadsheet program would, built column-wise (fast for millions of rows).

    ``encoding`` is utf-8, utf-8-sig (with a byte-order mark) or cp1252.
    """
    codec = "cp1252" if encoding == "cp1252" else "utf-8"
    n = len(columns[0]) if columns else 0
    with open(path, "wb") as fh:
        if encoding == "utf-8-sig":
            fh.write(b"\xef\xbb\xbf")
        fh.write((_csv_line(headers, delimiter) + eol).encode(codec))
        for start in range(0, n, CSV_CHUNK_ROWS):
            chunk = [c.slice(start, CSV_CHUNK_ROWS) for c in columns]
            fh.write(_csv_chunk(chunk, delimiter, eol).encode(codec))
        fh.write(((delimiter * (len(headers) - 1) + eol) * blank_rows).encode(codec))


def _csv_chunk(columns: list[pa.Array], delimiter: str, eol: str) -> str:
    fields = [_csv_field(c, delimiter) for c in columns]
    lines = pc.binary_join_element_wise(*fields, delimiter) if len(fields) > 1 else fields[0]
    lines = pc.binary_join_element_wise(lines, eol, "")
    # The value buffer of a string array holds its cells back to back: the chunk's text.
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    return bytes(memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]]).decode("utf-8")


def _write_csv(path: Path, rendered: Rendered, columns: list[pa.Array], dialect: Dialect) -> None:
    headers, columns = list(rendered.headers), list(columns)
    if dialect.trailing_empty_column:
        headers.append("")
        columns.append(pa.nulls(len(columns[0]), pa.string()))
    write_csv(
        path,
        headers,
        columns,
        delimiter=dialect.delimiter,
        eol=dialect.eol,
        encoding=dialect.encoding,
        blank_rows=dialect.blank_rows,
    )


def _write_xlsx(path: Path, rendered: Rendered, columns: list[pa.Array], dialect: Dialect, title: str) -> None:
    import openpyxl  # only the few .xlsx files need it

    workbook = openpyxl.Workbook(write_only=True)
    props = workbook.properties
    props.creator = props.lastModifiedBy = "mcred sample"
    props.created = props.modified = FIXED_TIME
    if dialect.cover_sheet:
        cover = workbook.create_sheet("Instructions")
        for line in (
            "Micro-credential offerings report",
            "One row per micro-credential offered in the period.",
            "See the Offerings sheet. Codes follow the ministry's submission format.",
        ):
            cover.append([line])
    sheet = workbook.create_sheet("Offerings" if dialect.cover_sheet else "Micro-credentials")
    if dialect.title_rows:
        sheet.append([title])
        sheet.append(["Prepared by Institutional Research"])
        sheet.append([])
    sheet.append(rendered.headers)
    for row in zip(*(c.to_pylist() for c in columns)):
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_deterministic_zip(buffer.getvalue()))


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite an .xlsx with fixed member dates and a fixed modified time (openpyxl stamps now)."""
    out = io.BytesIO()
    fixed = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + fixed, content)
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, content)
    return out.getvalue()


# --- the entry point -----------------------------------------------------------------------------


def write_sample(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    offerings: int | None = None,
    on_progress: ProgressCallback | None = None,
    institutions_csv: Path | None = None,
) -> list[Path]:
    """Write the synthetic submissions into ``out_dir``; return the files, in load order.

    ``offerings`` is about how many offerings in all (default DEFAULT_OFFERINGS).
    Earlier sample files in ``out_dir`` (names like ``2024_BCIT_1.csv``) that this
    run does not write are removed, so a folder regenerated at another scale never
    mixes two samples; other files are left alone.
    """
    total = DEFAULT_OFFERINGS if offerings is None else int(offerings)
    if total < 1:
        raise ValueError(f"offerings must be at least 1 (got {offerings})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    institutions = read_institutions(institutions_csv or DEFAULT_DATA_DIR / "institutions.csv")
    index_of = {inst.code: i for i, inst in enumerate(institutions)}
    sizes = pair_sizes(institutions, total, seed)
    planned = plan_files(institutions)
    written: list[Path] = []
    for n, plan in enumerate(planned, start=1):
        path = _write_planned(out, plan, sizes, seed, index_of[plan.institution.code])
        written.append(path)
        if on_progress:
            on_progress(n, len(planned), path.name)
    times = received_times(planned, seed)
    manifest = out / RECEIVED_FILE
    manifest.write_text(
        RECEIVED_HEADER + "".join(f'"{p.name}" = {times[p.stem].isoformat()}\n' for p in written),
        encoding="utf-8",
    )
    keep = {p.name for p in written}
    for stale in out.iterdir():
        if stale.is_file() and SAMPLE_FILE_NAME.match(stale.name) and stale.name not in keep:
            stale.unlink()
    return written


def read_received(folder: str | Path) -> dict[str, dt.datetime]:
    """File name -> when it reached the ministry, from a sample folder's ``received.toml``
    (empty when the folder has none: files are then recorded as loaded now)."""
    path = Path(folder) / RECEIVED_FILE
    if not path.is_file():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("received", {})
    return {str(name): moment for name, moment in table.items() if isinstance(moment, dt.datetime)}


def _write_planned(out: Path, plan: PlannedFile, sizes: dict[tuple[str, int], int], seed: int, inst_index: int) -> Path:
    inst = plan.institution
    dialect = DIALECTS.get(inst.code, DEFAULT_DIALECT)
    rows = sum(sizes[(inst.code, y)] for y in plan.years)
    excel = dialect.fmt == "xlsx" and rows <= XLSX_MAX_ROWS
    parts: list[list[pa.Array]] = []
    rendered = None
    for year in plan.years:
        n = sizes[(inst.code, year)]
        has_revision = (inst.code, year) in REVISED
        cols = generate_offerings(inst, inst_index, year, n + (LATE_ADDITIONS if has_revision else 0), seed)
        if plan.revised:
            cols = revise(cols, seed, inst_index, year)
        elif has_revision:
            cols = take_rows(cols, slice(0, n))
        rendered = rendered_for_file(plan, year, cols, dialect, seed, inst_index, excel)
        parts.append(rendered.with_overrides())
    assert rendered is not None
    columns = (
        parts[0]
        if len(parts) == 1
        else [pa.concat_arrays([decoded(p[i]) for p in parts]) for i in range(len(parts[0]))]
    )
    if excel:
        path = out / f"{plan.stem}.xlsx"
        years = " and ".join(period_text(y, "short") for y in plan.years)
        _write_xlsx(path, rendered, columns, dialect, f"{inst.name}: micro-credential offerings, fiscal year {years}")
    else:
        path = out / f"{plan.stem}.csv"
        _write_csv(
            path,
            rendered,
            columns,
            replace(dialect, encoding=EXCEL_CSV.encoding, delimiter=EXCEL_CSV.delimiter, eol=EXCEL_CSV.eol)
            if dialect.fmt == "xlsx"
            else dialect,
        )
    return path


def write_submission(
    path: str | Path,
    institution_code: str = "BCIT",
    year: int = 2024,
    offerings: int = 1_000,
    seed: int = DEFAULT_SEED,
    institutions_csv: Path | None = None,
) -> Path:
    """One CSV submission in the canonical format: one institution, one fiscal year, ``offerings`` rows.

    Every row is valid (some carry the framework warnings, as real data does); for
    benchmarks and tests that need one big, clean file rather than a provincial picture.
    """
    institutions = read_institutions(institutions_csv or DEFAULT_DATA_DIR / "institutions.csv")
    index = next((i for i, inst in enumerate(institutions) if inst.code == institution_code), None)
    if index is None:
        raise ValueError(f"unknown institution code {institution_code!r}")
    cols = generate_offerings(institutions[index], index, year, offerings, seed)
    rendered = render(cols, institutions[index], year, DEFAULT_DIALECT, excel=False, seed=seed)
    path = Path(path)
    _write_csv(path, rendered, rendered.columns, DEFAULT_DIALECT)
    return path
