"""Encoding decided on the whole file (issue 14, item 1): a CSV mixing UTF-8 and
Windows-1252 rows, or holding a NUL byte anywhere, is rejected naming the line; a file
wholly in one encoding still loads."""

from __future__ import annotations

from submission_files import HEADER, offering_row

from etl.load import load_files
from etl.warehouse import read_only


def write(tmp_path, name, rows: list[bytes]):
    path = tmp_path / name
    path.write_bytes(b"\n".join([HEADER.encode(), *rows]) + b"\n")
    return path


def test_mixed_utf8_and_windows_1252_is_rejected_naming_the_first_bad_line(settings, tmp_path):
    rows = [offering_row(oid=f"A{k}", title=f"Course {k}").encode() for k in range(200)]
    rows[3] = offering_row(oid="U1", title="Caf\u00e9 skills").encode("utf-8")
    rows[150] = offering_row(oid="W1", title="Caf\u00e9 basics").encode("cp1252")
    [outcome] = load_files([write(tmp_path, "mixed.csv", rows)], settings)
    assert outcome.status == "rejected"
    [issue] = outcome.issues
    assert issue["message"] == (
        "the file mixes UTF-8 and Windows-1252 text: line 152 is not UTF-8 but line 5 is: "
        "save the whole file as CSV UTF-8"
    )
    with read_only(settings.db_path) as con:
        assert con.execute("SELECT count(*) FROM current_offerings").fetchone() == (0,)


def test_a_nul_byte_after_the_first_4_kb_is_rejected_naming_the_line(settings, tmp_path):
    rows = [offering_row(oid=f"A{k}", title=f"Course {k}").encode() for k in range(200)]
    rows[120] = offering_row(oid="N1", title="Bad\x00title").encode()
    path = write(tmp_path, "nul.csv", rows)
    assert path.read_bytes().index(b"\x00") > 4096
    [outcome] = load_files([path], settings)
    assert outcome.status == "rejected"
    assert outcome.issues[0]["message"].startswith("line 122 holds a NUL byte")


def test_a_nul_byte_in_a_windows_1252_file_is_rejected_too(settings, tmp_path):
    rows = [offering_row(oid=f"A{k}", title=f"Caf\u00e9 {k}").encode("cp1252") for k in range(200)]
    rows[150] = offering_row(oid="N1", title="x\x00y").encode("cp1252")
    [outcome] = load_files([write(tmp_path, "nul1252.csv", rows)], settings)
    assert outcome.status == "rejected" and outcome.issues[0]["message"].startswith("line 152 holds a NUL byte")


def test_whole_files_in_one_encoding_load(settings, tmp_path):
    for encoding in ("utf-8", "cp1252"):
        rows = [offering_row(oid=f"A{k}", title=f"Caf\u00e9 {k}").encode(encoding) for k in range(3)]
        inst_rows = [r.replace(b"BCIT", b"UBC") for r in rows] if encoding == "cp1252" else rows
        [outcome] = load_files([write(tmp_path, f"{encoding}.csv", inst_rows)], settings)
        assert outcome.status == "accepted", outcome.issues
    with read_only(settings.db_path) as con:
        titles = {r[0] for r in con.execute("SELECT title FROM current_offerings").fetchall()}
    assert titles == {"Caf\u00e9 0", "Caf\u00e9 1", "Caf\u00e9 2"}
