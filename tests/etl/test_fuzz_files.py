"""Issue #14, item 7: a fuzzing corpus of submission files, generated here from fixed seeds (nothing
committed as binaries). Each class of hostile input of the issue, mutated at random: zips, XML
(bombs, references, indices, entities), encodings, file names and special files. The property is
the same for all: the reader returns a table or raises UnreadableFile (nothing else, no crash, no
hang), a table holds no NUL and no undecodable text, and the loader records every file as one
outcome whose name is one printable line."""

from __future__ import annotations

import os
import random
import zipfile
from pathlib import Path

import pytest
from hostile_workbooks import inline_cell, rows_xml, valid_rows, workbook
from openpyxl.utils import get_column_letter
from submission_files import HEADER, offering_row

from etl import workbook_scan
from etl.config import Settings
from etl.load import load_files
from etl.readers import UnreadableFile, read_submission_file

CASES = 40


def _read(path: Path) -> None:
    """The property every fuzzed file must have."""
    try:
        raw = read_submission_file(path)
    except UnreadableFile as exc:
        assert exc.message and "\n" not in exc.message and len(exc.message) < 2_000, exc.message
        return
    for name in raw.columns:
        for value in raw.table.column(name).to_pylist():
            if value is not None:
                assert "\x00" not in value
                value.encode("utf-8")  # no lone surrogates


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _random_ref(rng: random.Random) -> str:
    col = rng.choice([1, 2, 26, 27, 255, 256, 257, 702, 703, 16_384, 16_385, 99_999])
    row = rng.choice([1, 2, 999, 1_048_576, 1_048_577, 10**9])
    return f"{get_column_letter(min(col, 18_278))}{row}"


@pytest.mark.parametrize("seed", range(CASES))
def test_mutated_workbooks(tmp_path, seed):
    rng = random.Random(seed)
    base = workbook(tmp_path / "base.xlsx", rows_xml(valid_rows(n=5)), shared=["one", "two"])
    members = _members(base)
    sheet = members["xl/worksheets/sheet1.xml"]
    kind = seed % 8
    if kind == 0:  # bytes flipped anywhere in the zip
        data = bytearray(base.read_bytes())
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path = tmp_path / "flipped.xlsx"
        path.write_bytes(bytes(data))
    elif kind == 1:  # cut short
        data = base.read_bytes()
        path = tmp_path / "cut.xlsx"
        path.write_bytes(data[: rng.randrange(1, len(data))])
    elif kind == 2:  # cells at random far references, in random attribute orders
        extra = "".join(
            rng.choice(['<c r="{r}" t="inlineStr"><is><t>x</t></is></c>', '<c t="n" r="{r}"><v>1</v></c>']).format(
                r=_random_ref(rng)
            )
            for _ in range(rng.randint(1, 5))
        )
        members["xl/worksheets/sheet1.xml"] = sheet.replace(
            b"</sheetData>", f'<row r="9">{extra}</row></sheetData>'.encode()
        )
        path = _zip(tmp_path / "far.xlsx", members)
    elif kind == 3:  # shared-string indices out of range, negative, huge, not numbers
        index = rng.choice(["2", "-1", "99999999999", "x", "", "1e3"])
        cell = f'<c r="A9" t="s"><v>{index}</v></c>'
        members["xl/worksheets/sheet1.xml"] = sheet.replace(
            b"</sheetData>", f'<row r="9">{cell}</row></sheetData>'.encode()
        )
        path = _zip(tmp_path / "index.xlsx", members)
    elif kind == 4:  # an entity bomb in a random part
        part = rng.choice(["xl/workbook.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
        bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        members[part] = bomb + members[part].split(b"?>", 1)[-1]
        path = _zip(tmp_path / "entities.xlsx", members)
    elif kind == 5:  # a declared dimension at random
        ref = f"A1:{_random_ref(rng)}"
        members["xl/worksheets/sheet1.xml"] = sheet.replace(
            b"<sheetData>", f'<dimension ref="{ref}"/><sheetData>'.encode()
        )
        path = _zip(tmp_path / "dimension.xlsx", members)
    elif kind == 6:  # random members dropped or emptied
        for name in rng.sample(sorted(members), rng.randint(1, 3)):
            if rng.random() < 0.5:
                del members[name]
            else:
                members[name] = b""
        path = _zip(tmp_path / "parts.xlsx", members)
    else:  # long shared strings, repeated
        chars = rng.choice([32_767, 32_768, 100_000])
        path = workbook(
            tmp_path / "long.xlsx",
            rows_xml([HEADER.split(",")])
            + '<row r="2">'
            + '<c r="A2" t="s"><v>0</v></c>' * rng.randint(1, 50)
            + "</row>",
            shared=["y" * chars],
        )
    _read(path)


@pytest.mark.parametrize("seed", range(CASES))
def test_random_sheets_are_measured_alike_by_the_fast_scan_and_expat(tmp_path, seed):
    """Random cells (random references, types and shared-string indices) at random chunk sizes:
    the vectorised scan and expat agree on every measurement."""
    rng = random.Random(1000 + seed)
    strings = [f"s{i}" * rng.randint(1, 30) for i in range(rng.randint(1, 40))]
    rows = []
    for r in sorted(rng.sample(range(1, 5_000), rng.randint(1, 60))):
        cells = []
        for c in sorted(rng.sample(range(1, 300), rng.randint(1, 12))):
            ref = f"{get_column_letter(c)}{r}"
            kind = rng.random()
            if kind < 0.5:
                cells.append(f'<c r="{ref}" s="1" t="s"><v>{rng.randrange(len(strings))}</v></c>')
            elif kind < 0.7:
                cells.append(f'<c r="{ref}"><f>A1+1</f><v>{rng.random()}</v></c>')
            else:
                cells.append(inline_cell(ref, "z" * rng.randint(0, 20)))
        rows.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    path = workbook(tmp_path / "random.xlsx", "".join(rows), shared=strings)
    old = workbook_scan._CHUNK
    workbook_scan._CHUNK = rng.choice([97, 1_000, 1 << 20])
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = workbook_scan.shared_string_sizes(archive)
            fast = workbook_scan.scan_sheet(archive, "xl/worksheets/sheet1.xml", sizes)
            exact = workbook_scan.scan_sheet(archive, "xl/worksheets/sheet1.xml", sizes, exact=True)
    finally:
        workbook_scan._CHUNK = old
    assert fast == exact


_PIECES = [
    "café",
    "naïve",
    "Œuvre",
    "日本語",
    "emoji 😀",
    "plain",
    '"quoted, with comma"',
    "semi;colon",
    "tab\there",
]


@pytest.mark.parametrize("seed", range(CASES))
def test_odd_encodings(tmp_path, seed):
    rng = random.Random(2000 + seed)
    delimiter = rng.choice([",", ";", "\t"])
    newline = rng.choice(["\n", "\r\n", "\r"])
    lines = [HEADER.replace(",", delimiter)]
    for i in range(rng.randint(1, 30)):
        lines.append(offering_row(oid=f"E{i}", title=rng.choice(_PIECES).replace(",", " ")).replace(",", delimiter))
    chunks = []
    for line in lines:
        encoding = rng.choice(["utf-8", "utf-8", "cp1252", "utf-16-le", "latin-1"])
        try:
            chunks.append((line + newline).encode(encoding))
        except UnicodeEncodeError:
            chunks.append((line + newline).encode("utf-8"))
    data = b"".join(chunks)
    if rng.random() < 0.3:
        data = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b""]) + data
    if rng.random() < 0.3:
        at = rng.randrange(len(data))
        data = data[:at] + rng.choice([b"\x00", b"\x81", b"\xc3", b"\xe2\x82"]) + data[at:]
    path = tmp_path / "odd.csv"
    path.write_bytes(data)
    _read(path)


def _odd_names(rng: random.Random) -> list[bytes]:
    names = [b"new\nline.csv", b"tab\tname.csv", b"\xff\xfe latin.csv", b"caf\xe9.csv", b" spaced .csv", b"-dash.csv"]
    names += [
        bytes(rng.choice(range(1, 256)) for _ in range(rng.randint(1, 12))).replace(b"/", b"_") + b".csv"
        for _ in range(6)
    ]
    return [n for n in dict.fromkeys(names) if n not in (b".csv",) and not n.startswith((b".", b"~$"))]


def test_odd_paths_and_special_files_each_get_one_printable_outcome(tmp_path):
    rng = random.Random(3000)
    folder = tmp_path / "incoming"
    folder.mkdir()
    names = _odd_names(rng)
    for i, name in enumerate(names):
        with open(os.path.join(os.fsencode(folder), name), "wb") as fh:
            fh.write(f"{HEADER}\n{offering_row(oid=f'P{i}')}\n".encode())
    os.mkfifo(folder / "pipe.csv")
    os.symlink("/dev/zero", folder / "zero.xlsx")
    os.symlink(folder / "missing-target.csv", folder / "dangling.csv")
    (folder / "folder.csv").mkdir()
    outcomes = load_files([folder], Settings(db_path=tmp_path / "warehouse.duckdb"))
    printed = [o.file for o in outcomes]
    assert all(name.isprintable() and "\n" not in name for name in printed), printed
    assert len(outcomes) >= len(names) + 2  # every odd name, the FIFO and /dev/zero
    statuses = {o.file: o.status for o in outcomes}
    assert statuses["pipe.csv"] == "rejected" and statuses["zero.xlsx"] == "rejected"
    assert (
        sum(s != "rejected" for s in statuses.values()) >= len(names) // 2
    )  # odd names load (same rows: partly already)
