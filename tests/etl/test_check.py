"""``mcred check`` agrees with ``mcred load --json`` on every file of the sample and of the hostile
corpus: the same submissions in the same order, the same statuses, counts and issues, and the
same exit code; check run first, against the same warehouse state the load then starts from."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from submission_files import csv_file, offering_row
from test_hostile import build_corpus  # the hostile corpus of tests/etl/test_hostile.py

from etl import readers
from etl.check import check_files
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from etl.warehouse import read_only
from mcred.cli import main

SAMPLE = DEFAULT_DATA_DIR / "sample"  # the committed sample: mcred sample's bytes (tests/etl/test_sample.py)


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


def stored_ids(db: Path) -> set[int]:
    if not db.exists():
        return set()
    with read_only(db) as con:
        return {r[0] for r in con.execute("SELECT submission_id FROM submissions").fetchall()}


def as_check_reports(load_items: list[dict], before: set[int]) -> list[dict]:
    """What check says of the same submissions: a submission recorded by the load has no id yet
    (nothing is recorded), and one it supersedes is named only when it was in the warehouse."""
    out = []
    for item in load_items:
        item = dict(item)
        if item["status"] != "already_loaded":
            item["submission_id"] = None
        if item["supersedes"] not in before:
            item["supersedes"] = None
        out.append(item)
    return out


def agree(capsys, db: Path, paths: list[Path], *options: str) -> tuple[dict, dict]:
    """Run check, then load, on the same warehouse state; assert they agree; return both."""
    before = stored_ids(db)
    args = ["--db", str(db), "--json", *options, *map(str, paths)]
    check_code, checked = run_json(capsys, "check", *args)
    load_code, loaded = run_json(capsys, "load", *args)
    assert len(checked["submissions"]) == len(loaded["submissions"])
    expected = as_check_reports(loaded["submissions"], before)
    for got, want in zip(checked["submissions"], expected):  # first: a difference names its file
        assert got == want, (got["file"], got["status"], want["status"], got["issues"][:3])
    assert check_code == load_code
    assert "edit_checks" not in loaded
    return checked, loaded


def test_the_whole_sample_into_an_empty_warehouse(capsys, tmp_path):
    db = tmp_path / "w.duckdb"
    checked, _ = agree(capsys, db, [SAMPLE])
    statuses = {s["status"] for s in checked["submissions"]}
    assert statuses == {"accepted", "rejected"}  # the sample's deliberately faulty files
    assert len(checked["submissions"]) >= 120
    assert any(s["issues"] for s in checked["submissions"] if s["status"] == "rejected")


@pytest.mark.slow
def test_the_sample_on_top_of_earlier_years_then_again(capsys, tmp_path):
    # The last two years against the years before them (supersede, corrected files), then
    # everything again: every file already loaded, said the way load says it.
    db = tmp_path / "w.duckdb"
    files = sorted(p for p in SAMPLE.iterdir() if p.suffix in (".csv", ".xlsx"))
    years = sorted({p.name[:4] for p in files})
    load_files([p for p in files if p.name[:4] in years[:-2]], Settings(db_path=db, data_dir=DEFAULT_DATA_DIR))
    agree(capsys, db, [p for p in files if p.name[:4] in years[-2:]])
    checked, _ = agree(capsys, db, [SAMPLE])
    assert {s["status"] for s in checked["submissions"]} == {"already_loaded"}
    assert any(s["is_current"] is False for s in checked["submissions"])  # rejected, corrected later


def test_a_new_file_names_the_stored_submission_it_would_supersede(capsys, tmp_path):
    db = tmp_path / "w.duckdb"
    first = csv_file(tmp_path, "first.csv", [offering_row(oid="A1")])
    main(["load", "--db", str(db), str(first)])
    capsys.readouterr()
    second = csv_file(tmp_path, "second.csv", [offering_row(oid="A1"), offering_row(oid="A2", title="Two")])
    third = csv_file(tmp_path, "third.csv", [offering_row(oid="A3", title="Three")])
    checked, loaded = agree(capsys, db, [second, third])
    [(sid,)] = [(s,) for s in stored_ids(db) if s not in {i["submission_id"] for i in loaded["submissions"]}]
    assert [s["supersedes"] for s in checked["submissions"]] == [sid, None]  # third supersedes second: new
    assert [s["supersedes"] for s in loaded["submissions"]][0] == sid


def test_partial_and_replace_agree(capsys, tmp_path):
    db = tmp_path / "w.duckdb"
    big = csv_file(tmp_path, "big.csv", [offering_row(oid=f"B{n}", title=f"T{n}") for n in range(6)])
    main(["load", "--db", str(db), str(big)])
    capsys.readouterr()
    rows = [offering_row(oid="P1"), offering_row(oid="P2", title="Two", enrolments="x")]
    partial = csv_file(tmp_path, "partial.csv", rows)
    checked, _ = agree(capsys, db, [partial], "--allow-partial")
    [s] = checked["submissions"]
    assert s["status"] == "rejected" and any("--replace" in i["message"] for i in s["issues"])
    checked, _ = agree(capsys, db, [partial], "--allow-partial", "--replace")
    assert checked["submissions"][0]["status"] == "partial"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus") / "files"
    folder.mkdir()
    build_corpus(folder)
    os.mkfifo(folder / "fifo.csv")  # never read: rejected as not a regular file
    return folder


@pytest.mark.slow
def test_every_file_of_the_hostile_corpus(capsys, tmp_path, corpus_dir):
    db = tmp_path / "w.duckdb"
    good = csv_file(tmp_path, "good.csv", [offering_row(inst="BCIT", oid="GOOD")])
    main(["load", "--db", str(db), str(good)])
    capsys.readouterr()
    checked, _ = agree(capsys, db, [corpus_dir])
    names = {s["file"] for s in checked["submissions"]}
    assert names == {p.name for p in corpus_dir.iterdir()}
    # ...and again, file by file, into a warehouse without them (each alone, as institutions send).
    fresh = tmp_path / "fresh.duckdb"
    for path in sorted(corpus_dir.iterdir()):
        agree(capsys, fresh, [path])


def test_check_files_gives_the_rows_load_would_store(tmp_path):
    settings = Settings(db_path=tmp_path / "w.duckdb", data_dir=DEFAULT_DATA_DIR)
    rows = [offering_row(oid="A1", hours="300"), offering_row(oid="A2", title="Two", completions="99")]
    path = csv_file(tmp_path, "f.csv", rows)
    [checked] = check_files([path], settings, allow_partial=True)
    assert checked.outcome.status == "partial" and checked.outcome.submission_id is None
    assert checked.submission is not None
    assert checked.submission.offerings.column("offering_id").to_pylist() == ["A1"]
    assert checked.submission.offerings.column("source_row").to_pylist() == [2]
    [rejected] = check_files([path], settings)
    assert rejected.outcome.status == "rejected" and rejected.submission is None
    assert not settings.db_path.exists()


def test_the_warehouse_reference_is_used_when_the_database_exists(tmp_path):
    # A warehouse loaded with a reference that knows an extra institution, XYZ: check against it
    # knows XYZ; check against the bundled reference (no database) does not.
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns("sample"))
    with open(data / "institutions.csv", "a", encoding="utf-8") as fh:
        fh.write("XYZ,Example Polytechnic,institute,Cariboo\n")
    db = tmp_path / "w.duckdb"
    load_files([], Settings(db_path=db, data_dir=data))
    path = csv_file(tmp_path, "xyz.csv", [offering_row(inst="XYZ")])
    [with_db] = check_files([path], Settings(db_path=db, data_dir=DEFAULT_DATA_DIR))
    [without] = check_files([path], Settings(db_path=tmp_path / "none.duckdb", data_dir=DEFAULT_DATA_DIR))
    assert with_db.outcome.status == "accepted"
    assert without.outcome.status == "rejected"
    assert any("XYZ" in i["message"] and "not a known institution" in i["message"] for i in without.outcome.issues)


def test_many_batches_agree(capsys, tmp_path, monkeypatch):
    # Batches of 4 files (BATCH_FILES is 200): submissions recorded by one batch are seen by the
    # next, in check's scratch database as in the warehouse (2023_UBC_2 supersedes 2023_UBC_1).
    monkeypatch.setattr("etl.load.BATCH_FILES", 4)
    files = sorted(p for p in SAMPLE.iterdir() if p.name.startswith(("2023_U", "2023_V", "2024_C")))
    assert len(files) > 8 and any(p.name == "2023_UBC_2.xlsx" for p in files)
    checked, loaded = agree(capsys, tmp_path / "w.duckdb", files)
    assert any(s["supersedes"] for s in loaded["submissions"])
    assert {s["status"] for s in checked["submissions"]} >= {"accepted", "rejected"}


@pytest.mark.parametrize("run", [check_files, load_files], ids=["check", "load"])
def test_the_workbooks_zygote_is_forked_before_any_thread_of_the_run(tmp_path, monkeypatch, run):
    # A child forked beside a running thread (DuckDB's, a CSV reader's, Arrow's) may inherit a
    # lock that thread held and wait on it until the read's deadline: the file is then rejected
    # as too slow to read. Check and load both fork their zygote while the process has only the
    # threads it had before the call (counted by the kernel: DuckDB's are not Python threads).
    def threads() -> int:
        return len(os.listdir("/proc/self/task"))

    forked_beside: list[int] = []
    original = readers.WorkbookReaders.__init__

    def counting_init(self, *args, **kwargs):
        forked_beside.append(threads())
        original(self, *args, **kwargs)

    monkeypatch.setattr(readers.WorkbookReaders, "__init__", counting_init)
    files = sorted(SAMPLE.glob("2024_*"))
    assert any(p.suffix == ".xlsx" for p in files) and any(p.suffix == ".csv" for p in files)
    before = threads()
    run(files, Settings(db_path=tmp_path / "w.duckdb", data_dir=DEFAULT_DATA_DIR))
    assert forked_beside and max(forked_beside) <= before
