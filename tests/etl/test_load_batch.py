"""A batch of submissions recorded together keeps every rule of recording them one at a time:
rows interleaved in a file, supersede chains within one load, already-loaded within one load,
issue row numbers of the file itself."""

from __future__ import annotations

import duckdb
from submission_files import HEADER, csv_file, offering_row

from etl.load import load_files


def _db(settings):
    return duckdb.connect(str(settings.db_path), read_only=True)


def test_interleaved_rows_of_three_submissions(settings, tmp_path):
    rows, expected = [], {"BCIT": [], "UBC": [], "SFU": []}
    for n in range(30):
        inst = ("BCIT", "UBC", "SFU")[n % 3]
        enrolments = "many" if (inst == "UBC" and n == 7) else "20"
        rows.append(offering_row(inst=inst, oid=f"{inst}-{n}", title=f"Offering {n}", enrolments=enrolments))
        expected[inst].append(n + 2)  # the row a person sees: header is row 1
    path = csv_file(tmp_path, "interleaved.csv", rows)
    outcomes = load_files([path], settings)
    by_inst = {o.institution_code: o for o in outcomes}
    assert [o.institution_code for o in outcomes] == ["BCIT", "SFU", "UBC"]  # as written, sorted
    assert (by_inst["BCIT"].status, by_inst["SFU"].status, by_inst["UBC"].status) == (
        "accepted",
        "accepted",
        "rejected",
    )
    assert [(i["row"], i["column"]) for i in by_inst["UBC"].issues if i["severity"] == "error"] == [(9, "enrolments")]
    with _db(settings) as con:
        stored = con.execute("SELECT submission_id, source_row, institution_code FROM offering").fetchall()
        issue_rows = con.execute(
            "SELECT submission_id, \"row\" FROM validation_issue WHERE severity = 'error'"
        ).fetchall()
    # Each submission's offerings in the file's order, with the file's row numbers.
    for inst in ("BCIT", "SFU"):
        assert [r[1] for r in stored if r[2] == inst] == expected[inst]
    assert not any(r[2] == "UBC" for r in stored)
    assert issue_rows == [(by_inst["UBC"].submission_id, 9)]


def test_a_supersede_chain_within_one_load_and_against_the_stored_one(settings, tmp_path):
    [stored] = load_files([csv_file(tmp_path, "v0.csv", [offering_row(oid="V0")])], settings)
    files = [csv_file(tmp_path, f"v{n}.csv", [offering_row(oid=f"V{n}")]) for n in (1, 2, 3)]
    files.insert(2, files[0])  # v1 again in the same load: already loaded
    o1, o2, again, o3 = load_files(files, settings)
    assert again.status == "already_loaded" and again.submission_id == o1.submission_id
    assert (o1.superseded, o2.superseded, o3.superseded) == (stored.submission_id, o1.submission_id, o2.submission_id)
    with _db(settings) as con:
        chain = con.execute(
            "SELECT submission_id, superseded_by, superseded_at IS NOT NULL FROM submission ORDER BY submission_id"
        ).fetchall()
        current = con.execute("SELECT offering_id FROM current_offerings").fetchall()
    assert chain == [
        (stored.submission_id, o1.submission_id, True),
        (o1.submission_id, o2.submission_id, True),
        (o2.submission_id, o3.submission_id, True),
        (o3.submission_id, None, False),
    ]
    assert current == [("V3",)]


def test_rejected_bytes_then_partial_in_one_load(settings, tmp_path):
    path = csv_file(tmp_path, "mixed.csv", [offering_row(oid="A1"), offering_row(oid="A2", enrolments="x")])
    [rejected] = load_files([path], settings)
    assert rejected.status == "rejected"
    [partial] = load_files([path, path], settings, allow_partial=True)[:1]
    assert partial.status == "partial" and partial.rows_accepted == 1
    with _db(settings) as con:
        statuses = con.execute("SELECT status FROM submission ORDER BY submission_id").fetchall()
    assert statuses == [("rejected",), ("partial",)]  # the second copy in that load: already loaded


def test_files_read_side_by_side_are_taken_in_order(settings, tmp_path, monkeypatch):
    """Small CSV files are read READERS at a time, a small .xlsx ahead by the workbooks' zygote:
    the outcomes, submission ids and supersede chain are those of the files in the order given
    (an unreadable file is recorded as soon as it is met, before the batch it falls in, as when
    read one at a time)."""
    import openpyxl

    from etl import load

    monkeypatch.setattr(load, "READERS", 3)
    read_on: dict[str, str] = {}
    real_read = load.readers.read_submission_file

    def read(path, workbooks=None):
        import threading

        read_on[path.name] = threading.current_thread().name
        return real_read(path, workbooks)

    monkeypatch.setattr(load.readers, "read_submission_file", read)
    files = [csv_file(tmp_path, f"v{n}.csv", [offering_row(oid=f"V{n}")]) for n in range(6)]
    files[2] = tmp_path / "v2.csv"
    files[2].write_bytes(b"\xff\xfeUTF-16 text")  # unreadable
    wb = openpyxl.Workbook()
    wb.active.append(HEADER.split(","))
    wb.active.append(offering_row(oid="V4").split(","))
    files[4] = tmp_path / "v4.xlsx"
    wb.save(files[4])
    outcomes = load_files(files, settings)
    assert [(o.file, o.status) for o in outcomes] == [
        ("v2.csv", "rejected"),
        ("v0.csv", "accepted"),
        ("v1.csv", "accepted"),
        ("v3.csv", "accepted"),
        ("v4.xlsx", "accepted"),
        ("v5.csv", "accepted"),
    ]
    ids = [o.submission_id for o in outcomes]
    assert ids == sorted(ids)
    accepted = [o for o in outcomes if o.status == "accepted"]
    assert [o.superseded for o in accepted] == [None, *(o.submission_id for o in accepted[:-1])]
    assert "v4.xlsx" not in read_on and read_on["v0.csv"].startswith("mcred-read")  # the workbook: read ahead
    with _db(settings) as con:
        assert con.execute("SELECT offering_id FROM current_offerings").fetchall() == [("V5",)]
