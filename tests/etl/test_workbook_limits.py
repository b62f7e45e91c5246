"""Issue #14, item 1: untrusted workbooks are measured before and while they are read, and read in
a child process with bounded memory and time. Each reproduction of the issue is one rejection
naming the limit, and the process reading it goes on."""

from __future__ import annotations

import os
import random
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from hostile_workbooks import (
    declared_huge,
    far_cell,
    inline_cell,
    many_shared_references,
    rows_xml,
    shared_string_bomb,
    valid_rows,
    wide_csv,
    wide_header,
    workbook,
)
from submission_files import HEADER, csv_file, offering_row

from etl import readers, workbook_scan
from etl.readers import UnreadableFile, read_submission_file


@pytest.fixture(autouse=True)
def no_private_copy_left(tmp_path, monkeypatch):
    """The readers' temporary folders go to a folder of this test's own (other processes on the
    machine read workbooks too), which must be empty afterwards."""
    own = tmp_path / "tmp"
    own.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own))
    yield
    assert os.listdir(own) == [], "a reader left its temporary folder behind"


REPRODUCTIONS = {
    # The 6 KB workbook whose one cell at XFD1048576 made the Rust reader abort the process.
    "xfd1048576.xlsx": (lambda p: far_cell(p, "XFD1048576"), "cell XFD1048576 is in column 16,384"),
    # 1.2-1.5 GB each before.
    "xfd2000.xlsx": (lambda p: far_cell(p, "XFD2000"), "cell XFD2000 is in column 16,384"),
    "a1048576.xlsx": (lambda p: far_cell(p, "A1048576"), "span A1:N1048576"),
    # 805 KB, one 1 MB shared string used by 2,000 cells: 9.2 GB before.
    "shared-string-bomb.xlsx": (shared_string_bomb, "holds 1,048,576 characters; a cell holds at most 32,767"),
    # Strings within a cell's limit, used so often they expand to 9 GB.
    "shared-references.xlsx": (many_shared_references, "expand to 9,160 MB of text"),
    "declared-huge.xlsx": (declared_huge, "declares its size as A1:XFD1048576"),
    "wide.xlsx": (lambda p: wide_header(p, 2_000), "a submission sheet has at most 256 columns"),
}


@pytest.mark.parametrize("name", sorted(REPRODUCTIONS))
def test_each_hostile_workbook_is_refused_naming_its_limit(tmp_path, name):
    build, fragment = REPRODUCTIONS[name]
    path = build(tmp_path / name)
    start = time.monotonic()
    with pytest.raises(UnreadableFile) as caught:
        read_submission_file(path)
    assert fragment in caught.value.message
    assert "refused before reading it" in caught.value.message
    assert time.monotonic() - start < 30


def test_the_shared_string_bomb_is_the_issues_size(tmp_path):
    """The reproduction as the issue gives it: under a megabyte on disk, passing the zip's ratio checks."""
    path = shared_string_bomb(tmp_path / "bomb.xlsx")
    assert 500_000 < path.stat().st_size < 1_000_000
    readers._check_zip(path)  # the zip checks alone see nothing wrong


def test_the_200000_column_csv_is_refused_at_its_header(tmp_path):
    path = wide_csv(tmp_path / "wide.csv")
    assert path.stat().st_size > 1_000_000
    start = time.monotonic()
    with pytest.raises(UnreadableFile, match=r"row 1 has at least [\d,]+ cells; a submission has at most 256 columns"):
        read_submission_file(path)
    assert time.monotonic() - start < 20


def test_a_csv_data_row_wider_than_any_submission_is_refused(tmp_path):
    path = csv_file(tmp_path, "wide-row.csv", [offering_row(), offering_row(oid="A2") + "," * 5_000])
    with pytest.raises(UnreadableFile, match="row 3 has 5,014 cells"):
        read_submission_file(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_cell_longer_than_a_spreadsheet_cell_is_refused_naming_row_and_column(tmp_path, suffix):
    long = "w" * 40_000
    if suffix == ".csv":
        path = csv_file(tmp_path, "long.csv", [offering_row(), offering_row(oid="A2", title=long)])
    else:
        rows = valid_rows()
        rows[2][3] = long
        path = workbook(tmp_path / "long.xlsx", rows_xml(rows))
    with pytest.raises(
        UnreadableFile, match="row 3, column title holds 40,000 characters; a cell holds at most 32,767"
    ):
        read_submission_file(path)


def test_a_contract_length_beyond_300_is_still_a_row_error_not_a_file_error(tmp_path):
    path = workbook(tmp_path / "title.xlsx", rows_xml([HEADER.split(","), offering_row(title="t" * 400).split(",")]))
    raw = read_submission_file(path)  # the validator reports it per row ("more than 300")
    assert raw.table.num_rows == 1


def _shapes(tmp_path: Path) -> list[Path]:
    """Workbooks in several shapes: the fast scan must measure each as expat does."""
    header = rows_xml([HEADER.split(",")])
    shared = [f"text {i}" for i in range(50)]
    cells = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{c}{r}" s="1" t="s"><v>{(r * 7 + i) % 50}</v></c>' for i, c in enumerate("ABCDEFGHIJ"))
        + f'<c r="K{r}"><v>{r}.5</v></c><c r="L{r}"><f>K{r}*2</f><v>{r}</v></c></row>'
        for r in range(2, 400)
    )
    out = [
        workbook(tmp_path / "shared.xlsx", header + cells, shared=shared, dimension="A1:L399"),
        workbook(tmp_path / "inline.xlsx", rows_xml(valid_rows(n=300))),
        far_cell(tmp_path / "far.xlsx", "CZ77"),
        workbook(
            tmp_path / "gap.xlsx",
            rows_xml(valid_rows(), first_row=40) + f'<row r="900">{inline_cell("B900", "x")}</row>',
        ),
    ]
    return out


def _assert_fast_equals_expat(paths: list[Path]) -> None:
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            sizes = workbook_scan.shared_string_sizes(archive)
            [part] = workbook_scan.chosen_sheet_part(archive)
            fast = workbook_scan.scan_sheet(archive, part, sizes)
            exact = workbook_scan.scan_sheet(archive, part, sizes, exact=True)
        assert fast == exact, path.name


def test_the_fast_scan_measures_what_expat_measures(tmp_path):
    _assert_fast_equals_expat(_shapes(tmp_path))
    facts = workbook_scan.scan_workbook(tmp_path / "shared.xlsx")[0]
    assert (facts.cells, facts.shared_cells, facts.max_col, facts.max_row, facts.has_formulas) == (
        14 + 398 * 12,
        398 * 10,
        14,
        399,
        True,
    )
    far = workbook_scan.scan_workbook(tmp_path / "far.xlsx")[0]
    assert (far.max_col, far.far_col_cell, far.max_row) == (104, "CZ77", 77)


def test_the_fast_scan_reads_a_sheet_across_chunk_boundaries(tmp_path, monkeypatch):
    """Chunks of a few hundred bytes cut tags, references and values anywhere."""
    monkeypatch.setattr(workbook_scan, "_CHUNK", 333)
    _assert_fast_equals_expat(_shapes(tmp_path))


def test_a_sheet_in_another_shape_is_measured_by_expat(tmp_path):
    """A reference that is not the cell's first attribute, and cells without one, still count."""
    odd = (
        rows_xml(valid_rows())
        + '<row r="5"><c s="0" r="ZZ5" t="inlineStr"><is><t>x</t></is></c></row>'
        + '<row r="6">'
        + "<c><v>1</v></c>" * 300
        + "</row>"
    )
    path = workbook(tmp_path / "odd.xlsx", odd)
    with pytest.raises(UnreadableFile, match="cell ZZ5 is in column 702"):
        read_submission_file(path)
    path = workbook(
        tmp_path / "no-refs.xlsx", rows_xml(valid_rows()) + '<row r="5">' + "<c><v>1</v></c>" * 300 + "</row>"
    )
    with pytest.raises(UnreadableFile, match="cell KN5 is in column 300"):
        read_submission_file(path)


def test_entities_in_the_workbook_xml_are_refused(tmp_path):
    path = workbook(tmp_path / "ok.xlsx", rows_xml(valid_rows()))
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    members["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]><sst xmlns="x"><si><t>&a;</t></si></sst>'
    )
    with zipfile.ZipFile(tmp_path / "entities.xlsx", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(UnreadableFile, match="declares entities"):
        read_submission_file(tmp_path / "entities.xlsx")


def test_a_workbook_beyond_the_memory_limit_is_refused_and_the_reader_goes_on(tmp_path, monkeypatch):
    """Within every limit the scan checks (400 MB of text), but the reader may use only 64 MB:
    the child dies (calamine aborts when an allocation fails) and the caller gets one message."""
    path = many_shared_references(tmp_path / "big-text.xlsx", chars=20_000, cells=20_000)
    monkeypatch.setenv("MCRED_READ_MEMORY_MB", "64")
    with pytest.raises(
        UnreadableFile, match=r"needs more than the 64 MB of memory a workbook may use \(MCRED_READ_MEMORY_MB\)"
    ):
        read_submission_file(path)
    monkeypatch.delenv("MCRED_READ_MEMORY_MB")
    assert read_submission_file(path).table.num_rows == 1_000  # the same file, with the default limit
    assert read_submission_file(workbook(tmp_path / "ok.xlsx", rows_xml(valid_rows()))).table.num_rows == 2


def test_a_workbook_beyond_the_time_limit_is_refused(tmp_path, monkeypatch):
    """A sheet whose cells carry no reference is measured by expat (slow): 20 MB of them take
    longer than the 1 s allowed here, and the child is stopped."""
    rng = random.Random(14)
    body = "".join(
        '<row r="2">' + "".join(f"<c><v>{rng.randrange(10**6)}</v></c>" for _ in range(200)) + "</row>"
        for _ in range(6_000)
    )
    path = workbook(tmp_path / "slow.xlsx", rows_xml([HEADER.split(",")]) + body)
    monkeypatch.setenv("MCRED_READ_SECONDS", "1")
    start = time.monotonic()
    with pytest.raises(UnreadableFile, match=r"took longer than the 1 s a workbook may take \(MCRED_READ_SECONDS\)"):
        read_submission_file(path)
    assert time.monotonic() - start < 15


def test_a_reader_that_dies_is_named_as_such(tmp_path, monkeypatch):
    """The child killed from outside (as the kernel's OOM killer would): a message, no traceback."""
    import signal

    path = workbook(tmp_path / "ok.xlsx", rows_xml(valid_rows()))
    real = readers._read_xlsx

    def dies(p):
        os.kill(os.getpid(), signal.SIGKILL)
        return real(p)

    monkeypatch.setattr(readers, "_read_xlsx", dies)
    with pytest.raises(UnreadableFile, match="needs more than the 2,048 MB of memory"):
        read_submission_file(path)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("xfd1048576.xlsx", "cell XFD1048576 is in column 16,384"),  # calamine aborts: the parent names the limit
        # read and refused on what was built, or (beyond the memory limit) named by the parent
        ("xfd2000.xlsx", "in column 16,384; a submission sheet has at most 256 columns"),
        ("shared-string-bomb.xlsx", "holds 1,048,576 characters"),  # beyond the memory limit: named after
        ("wide.xlsx", "the sheet has cells in column 2,000"),  # read, then refused on what calamine built
    ],
)
def test_a_big_sheet_read_before_it_is_measured_is_held_to_the_same_limits(tmp_path, monkeypatch, name, fragment):
    """A sheet beyond SERIAL_SCAN_BYTES is read first, under the memory limit, and checked after
    (here every sheet is "big"); whatever happens, the message names the limit."""
    monkeypatch.setattr(readers, "SERIAL_SCAN_BYTES", 0)
    monkeypatch.setenv("MCRED_READ_MEMORY_MB", "1024")
    build, _ = REPRODUCTIONS[name]
    with pytest.raises(UnreadableFile) as caught:
        read_submission_file(build(tmp_path / name))
    assert fragment in caught.value.message
    assert read_submission_file(workbook(tmp_path / "ok.xlsx", rows_xml(valid_rows()))).table.num_rows == 2


def _outcome(read, path):
    """What reading ``path`` gives, comparably: the table and issues, or the refusal."""
    try:
        raw = read(path)
    except UnreadableFile as exc:
        return ("refused", exc.message, exc.column, exc.row, exc.sheet)
    return ("read", raw.table, raw.issues, raw.headers, raw.header_row, raw.sheet, raw.sha256)


def test_the_zygote_s_children_read_what_the_caller_s_children_read(tmp_path):
    """The same workbooks, read ahead by the zygote (all submitted before any is asked for) and
    one at a time in children of the caller: the same tables, issues and refusals, in order."""
    paths = [
        workbook(tmp_path / "ok.xlsx", rows_xml(valid_rows())),
        REPRODUCTIONS["xfd1048576.xlsx"][0](tmp_path / "far.xlsx"),
        workbook(tmp_path / "ok2.xlsx", rows_xml(valid_rows())),
        REPRODUCTIONS["shared-string-bomb.xlsx"][0](tmp_path / "bomb.xlsx"),
    ]
    with readers.WorkbookReaders() as workbooks:
        tickets = [workbooks.submit(p) for p in paths]
        ahead = [_outcome(lambda _, t=t: workbooks.result(t), p) for t, p in zip(tickets, paths)]
    assert ahead == [_outcome(read_submission_file, p) for p in paths]
    assert [o[0] for o in ahead] == ["read", "refused", "read", "refused"]


def test_the_zygote_holds_its_children_to_the_time_and_memory_limits(tmp_path, monkeypatch):
    """As in a child of the caller (the tests above): the slow sheet stopped at 1 s, the text
    beyond 64 MB refused, and read with the default limit."""
    rng = random.Random(14)
    body = "".join(
        '<row r="2">' + "".join(f"<c><v>{rng.randrange(10**6)}</v></c>" for _ in range(200)) + "</row>"
        for _ in range(6_000)
    )
    slow = workbook(tmp_path / "slow.xlsx", rows_xml([HEADER.split(",")]) + body)
    big = many_shared_references(tmp_path / "big-text.xlsx", chars=20_000, cells=20_000)
    monkeypatch.setenv("MCRED_READ_SECONDS", "1")
    start = time.monotonic()
    with readers.WorkbookReaders() as workbooks:
        with pytest.raises(UnreadableFile, match=r"took longer than the 1 s a workbook may take"):
            workbooks.result(workbooks.submit(slow))
        monkeypatch.delenv("MCRED_READ_SECONDS")
        monkeypatch.setenv("MCRED_READ_MEMORY_MB", "64")
        with pytest.raises(UnreadableFile, match=r"needs more than the 64 MB of memory a workbook may use"):
            workbooks.result(workbooks.submit(big))
        monkeypatch.delenv("MCRED_READ_MEMORY_MB")
        assert workbooks.result(workbooks.submit(big)).table.num_rows == 1_000
    assert time.monotonic() - start < 30


def test_a_child_of_the_zygote_that_dies_is_named_as_such(tmp_path, monkeypatch):
    import signal

    real = readers._read_xlsx

    def dies(p):
        os.kill(os.getpid(), signal.SIGKILL)
        return real(p)

    monkeypatch.setattr(readers, "_read_xlsx", dies)
    with readers.WorkbookReaders() as workbooks:
        with pytest.raises(UnreadableFile, match="needs more than the 2,048 MB of memory"):
            workbooks.result(workbooks.submit(workbook(tmp_path / "ok.xlsx", rows_xml(valid_rows()))))


def test_without_its_zygote_a_workbook_is_read_in_a_child_of_the_caller(tmp_path):
    """The zygote killed from outside: what it had not reported is read as without it."""
    import signal

    path = workbook(tmp_path / "ok.xlsx", rows_xml(valid_rows()))
    with readers.WorkbookReaders() as workbooks:
        first = workbooks.submit(path)
        assert workbooks.result(first).table.num_rows == 2
        os.kill(workbooks._pid, signal.SIGKILL)
        second, third = workbooks.submit(path), workbooks.submit(path)
        assert workbooks.result(second).table.num_rows == 2
        assert workbooks.result(third).table.num_rows == 2


def test_column_letters_are_openpyxl_s():
    from openpyxl.utils import get_column_letter

    assert [workbook_scan.column_letter(n) for n in range(1, 18_279)] == [
        get_column_letter(n) for n in range(1, 18_279)
    ]
