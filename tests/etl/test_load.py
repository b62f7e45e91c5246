"""Loading semantics: submissions per (institution, period), supersede, reject keeps
the prior submission, idempotence, --allow-partial, the SHA-256 kept, and the
warehouse as a plain DuckDB file with the views interfaces.md names."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import duckdb
import openpyxl
import pytest
from submission_files import HEADER, csv_file, offering_row

from etl import spec
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from etl.warehouse import read_only


def current(settings) -> list[tuple]:
    with read_only(settings.db_path) as con:
        return con.execute(
            "SELECT institution_code, reporting_period, offering_id, submission_id, source_row "
            "FROM current_offerings ORDER BY ALL"
        ).fetchall()


def submissions(settings) -> list[dict]:
    with read_only(settings.db_path) as con:
        cur = con.execute("SELECT * FROM submissions ORDER BY submission_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def counts(settings) -> tuple[int, int, int]:
    with read_only(settings.db_path) as con:
        return con.execute(
            "SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM current_offerings), "
            "(SELECT count(*) FROM validation_issues)"
        ).fetchone()


# --- several submissions in one file ------------------------------------------------------


def test_one_file_with_two_institutions_and_periods_is_two_submissions(settings, tmp_path):
    path = csv_file(
        tmp_path,
        "two.csv",
        [
            offering_row(inst="BCIT", period="2024/25", oid="A1", title="One"),
            offering_row(inst="UBC", period="2024-25", oid="A1", title="One"),  # same id, other institution: fine
            offering_row(inst="BCIT", period="2024/25", oid="A2", title="Two"),
            offering_row(inst="BCIT", period="FY2023/24", oid="A1", title="One"),  # same id, other period: fine
        ],
    )
    outcomes = load_files([path], settings)
    got = sorted((o.institution_code, o.reporting_period, o.status, o.rows_accepted) for o in outcomes)
    assert got == [
        ("BCIT", "2023/24", "accepted", 1),
        ("BCIT", "2024/25", "accepted", 2),
        ("UBC", "2024/25", "accepted", 1),
    ]
    assert {o.sha256 for o in outcomes} == {hashlib.sha256(path.read_bytes()).hexdigest()}
    rows = current(settings)
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        ("BCIT", "2023/24", "A1", 5),
        ("BCIT", "2024/25", "A1", 2),
        ("BCIT", "2024/25", "A2", 4),
        ("UBC", "2024/25", "A1", 3),
    ]
    assert len({r[3] for r in rows}) == 3


def test_errors_reject_only_their_own_submission(settings, tmp_path):
    path = csv_file(
        tmp_path,
        "mixed.csv",
        [
            offering_row(inst="BCIT", oid="A1"),
            offering_row(inst="UBC", oid="B1", enrolments="5", completions="9"),
            offering_row(inst="UBC", oid="B2", title="Fine"),
        ],
    )
    outcomes = {o.institution_code: o for o in load_files([path], settings)}
    assert outcomes["BCIT"].status == "accepted"
    assert (outcomes["UBC"].status, outcomes["UBC"].rows_accepted, outcomes["UBC"].rows_rejected) == ("rejected", 0, 2)
    assert [(r[0], r[2]) for r in current(settings)] == [("BCIT", "A1")]


def test_rows_of_an_unknown_institution_in_a_file_of_two_form_their_own_rejected_submission(settings, tmp_path):
    path = csv_file(
        tmp_path,
        "stray.csv",
        [
            offering_row(inst="BCIT", oid="A1"),
            offering_row(inst="UBC", oid="B1"),
            offering_row(inst="Hogwarts", oid="C1"),
        ],
    )
    outcomes = load_files([path], settings)
    by = {o.institution_code: o for o in outcomes}
    assert by["BCIT"].status == by["UBC"].status == "accepted"
    stray = by[None]
    assert stray.status == "rejected" and stray.rows_rejected == 1
    assert [(i["row"], i["column"], i["value"]) for i in stray.issues if i["severity"] == "error"] == [
        (4, "institution_code", "Hogwarts")
    ]
    assert [s["institution_code"] for s in submissions(settings)].count(None) == 1


def test_two_unknown_institutions_in_one_file_are_two_rejected_submissions(settings, tmp_path):
    path = csv_file(
        tmp_path,
        "strays.csv",
        [
            offering_row(inst="BCIT", oid="A1"),
            offering_row(inst="UBC", oid="B1"),
            offering_row(inst="Hogwarts", oid="C1"),
            offering_row(inst="Narnia", oid="D1"),
        ],
    )
    outcomes = load_files([path], settings)
    strays = [o for o in outcomes if o.institution_code is None]
    # Neither is "already loaded": they share the file's bytes, not their institution.
    assert [o.status for o in strays] == ["rejected", "rejected"]
    assert sorted(i["value"] for o in strays for i in o.issues) == ["Hogwarts", "Narnia"]
    # Loading the same file again is a no-op for all four.
    assert [o.status for o in load_files([path], settings)] == ["already_loaded"] * 4


def test_unreadable_files_with_the_same_bytes_are_not_confused(settings, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    outcomes = load_files([tmp_path / "empty.csv", tmp_path / "empty.xlsx"], settings)
    assert [(o.file, o.status, o.institution_code) for o in outcomes] == [
        ("empty.csv", "rejected", None),
        ("empty.xlsx", "rejected", None),
    ]
    [again] = load_files([tmp_path / "empty.csv"], settings)
    assert again.status == "already_loaded"


# --- supersede, reject keeps prior, idempotence ---------------------------------------------


def test_supersede_reject_and_idempotence(settings, tmp_path):
    first = csv_file(tmp_path, "bcit-v1.csv", [offering_row(oid="A1"), offering_row(oid="A2", title="Two")])
    other = csv_file(tmp_path, "ubc.csv", [offering_row(inst="UBC", oid="U1")])
    [o1], [o_ubc] = load_files([first], settings), load_files([other], settings)
    assert o1.status == o_ubc.status == "accepted"

    # A second accepted file for the same pair supersedes the first, which stays in the history.
    second = csv_file(
        tmp_path,
        "bcit-v2.csv",
        [
            offering_row(oid="A1", title="Renamed"),
            offering_row(oid="A3", title="Three"),
            offering_row(oid="A4", title="Four"),
        ],
    )
    [o2] = load_files([second], settings)
    assert (o2.status, o2.superseded) == ("accepted", o1.submission_id)
    subs = {s["submission_id"]: s for s in submissions(settings)}
    assert subs[o1.submission_id]["superseded_by"] == o2.submission_id
    assert subs[o1.submission_id]["superseded_at"] is not None
    assert (subs[o1.submission_id]["is_current"], subs[o2.submission_id]["is_current"]) == (False, True)
    assert subs[o_ubc.submission_id]["is_current"] is True  # another pair is untouched
    assert [(r[0], r[2], r[3]) for r in current(settings)] == [
        ("BCIT", "A1", o2.submission_id),
        ("BCIT", "A3", o2.submission_id),
        ("BCIT", "A4", o2.submission_id),
        ("UBC", "U1", o_ubc.submission_id),
    ]

    # A rejected file changes nothing but the history and its issues.
    before = current(settings)
    bad = csv_file(tmp_path, "bcit-v3.csv", [offering_row(oid="A1"), offering_row(oid="A1", title="Again")])
    [o3] = load_files([bad], settings)
    assert o3.status == "rejected" and o3.superseded is None
    assert current(settings) == before
    subs = {s["submission_id"]: s for s in submissions(settings)}
    assert subs[o3.submission_id]["is_current"] is False and subs[o3.submission_id]["superseded_by"] is None
    assert subs[o2.submission_id]["is_current"] is True and subs[o2.submission_id]["superseded_by"] is None
    with read_only(settings.db_path) as con:
        issues = con.execute(
            'SELECT rule, "row" FROM validation_issues WHERE submission_id = ?', [o3.submission_id]
        ).fetchall()
    assert ("duplicate_offering_id", 3) in issues

    # The same bytes again (under any name) are a no-op reported as already loaded.
    snapshot = counts(settings)
    renamed = tmp_path / "renamed-copy.csv"
    shutil.copyfile(second, renamed)
    for path in (second, renamed):
        [again] = load_files([path], settings)
        assert (again.status, again.submission_id) == ("already_loaded", o2.submission_id)
        assert (again.rows_accepted, again.errors) == (o2.rows_accepted, o2.errors)
    [again_bad] = load_files([bad], settings)
    assert (again_bad.status, again_bad.submission_id) == ("already_loaded", o3.submission_id)
    # Reloading the bytes of a superseded submission does not bring it back.
    [again_first] = load_files([first], settings)
    assert again_first.status == "already_loaded"
    assert counts(settings) == snapshot
    assert current(settings) == before


def test_same_file_twice_in_one_load(settings, tmp_path):
    path = csv_file(tmp_path, "twice.csv", [offering_row()])
    first, second = load_files([path, path], settings)
    assert (first.status, second.status) == ("accepted", "already_loaded")
    assert counts(settings)[:2] == (1, 1)


def test_two_versions_in_one_load_keep_the_last(settings, tmp_path):
    v1 = csv_file(tmp_path, "v1.csv", [offering_row(oid="OLD")])
    v2 = csv_file(tmp_path, "v2.csv", [offering_row(oid="NEW")])
    o1, o2 = load_files([v1, v2], settings)
    assert o2.superseded == o1.submission_id
    assert [r[2] for r in current(settings)] == ["NEW"]


# --- --allow-partial ------------------------------------------------------------------------


def test_allow_partial_loads_only_the_valid_rows(settings, tmp_path):
    path = csv_file(
        tmp_path,
        "partial.csv",
        [
            offering_row(oid="P1", title="Good one"),
            offering_row(oid="P2", title="Bad one", hours="0"),
            offering_row(oid="P3", title="Good two", assessment="no"),  # a warning is not an error
            offering_row(oid="P4", title="Bad two", mc_type="workshop"),
        ],
    )
    [strict] = load_files([path], settings)
    assert (strict.status, strict.rows_accepted, strict.rows_rejected) == ("rejected", 0, 4)
    assert current(settings) == []

    # The same rejected bytes may be loaded again with --allow-partial to keep their valid rows.
    [partial] = load_files([path], settings, allow_partial=True)
    assert (partial.status, partial.rows_accepted, partial.rows_rejected) == ("partial", 2, 2)
    assert (partial.errors, partial.warnings) == (2, 1)
    assert [(r[2], r[4]) for r in current(settings)] == [("P1", 2), ("P3", 4)]
    [sub] = [s for s in submissions(settings) if s["submission_id"] == partial.submission_id]
    assert (sub["status"], sub["is_current"], sub["allow_partial"]) == ("partial", True, True)
    with read_only(settings.db_path) as con:
        rows = con.execute(
            "SELECT DISTINCT \"row\" FROM validation_issues WHERE submission_id = ? AND severity = 'error' ORDER BY 1",
            [partial.submission_id],
        ).fetchall()
    assert rows == [(3,), (5,)]

    # And loading them once more with --allow-partial is a no-op.
    [again] = load_files([path], settings, allow_partial=True)
    assert again.status == "already_loaded"


def test_allow_partial_with_no_valid_row_rejects(settings, tmp_path):
    path = csv_file(tmp_path, "all-bad.csv", [offering_row(oid="X", hours="0"), offering_row(oid="Y", hours="9999")])
    [o] = load_files([path], settings, allow_partial=True)
    assert (o.status, o.rows_accepted) == ("rejected", 0)


def test_partial_supersedes_and_a_file_level_error_is_never_partial(settings, tmp_path):
    [o1] = load_files([csv_file(tmp_path, "v1.csv", [offering_row(oid="A")])], settings)
    v2 = csv_file(tmp_path, "v2.csv", [offering_row(oid="B"), offering_row(oid="C", enrolments="x")])
    [o2] = load_files([v2], settings, allow_partial=True)
    assert (o2.status, o2.superseded) == ("partial", o1.submission_id)
    assert [r[2] for r in current(settings)] == ["B"]
    # A required column missing rejects the whole file, --allow-partial or not.
    header = HEADER.replace(",assessment", "")
    row = offering_row(oid="D").split(",")
    del row[HEADER.split(",").index("assessment")]
    [o3] = load_files([csv_file(tmp_path, "v3.csv", [",".join(row)], header=header)], settings, allow_partial=True)
    assert o3.status == "rejected"
    assert [r[2] for r in current(settings)] == ["B"]


# --- what is kept -----------------------------------------------------------------------------


def test_sha256_file_name_and_sheet_are_kept(settings, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Offerings"
    ws.append(HEADER.split(","))
    ws.append(offering_row(oid="X1", assessment="no").split(","))
    path = tmp_path / "book.xlsx"
    wb.save(path)
    [o] = load_files([path], settings)
    assert o.status == "accepted"
    [sub] = submissions(settings)
    assert sub["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (sub["file_name"], sub["sheet"]) == ("book.xlsx", "Offerings")
    with read_only(settings.db_path) as con:
        issue = con.execute('SELECT file_name, sheet, "row", "column" FROM validation_issues').fetchone()
    assert issue == ("book.xlsx", "Offerings", 2, "assessment")


def test_folders_are_searched_for_csv_and_xlsx(settings, tmp_path):
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    csv_file(folder, "a.csv", [offering_row(inst="BCIT")])
    csv_file(folder / "sub", "b.CSV", [offering_row(inst="UBC")])
    (folder / "notes.txt").write_text("not a submission")
    (folder / "~$a.xlsx").write_bytes(b"Excel lock file")
    outcomes = load_files([folder], settings)
    assert sorted((o.file, o.status) for o in outcomes) == [("a.csv", "accepted"), ("b.CSV", "accepted")]


# --- the warehouse file ----------------------------------------------------------------------

SUBMISSIONS_COLUMNS = [
    "submission_id",
    "institution_code",
    "reporting_period",
    "file_name",
    "sha256",
    "status",
    "rows_accepted",
    "rows_rejected",
    "errors",
    "warnings",
    "loaded_at",
    "is_current",
]
ISSUES_COLUMNS = ["submission_id", "severity", "row", "column", "value", "message"]
EXPORT_COLUMNS = [
    *spec.COLUMN_NAMES,
    "institution_name",
    "sector",
    "region",
    "over_duration",
    "no_assessment",
    "no_partner",
]


def test_the_warehouse_is_a_plain_duckdb_file_with_the_contract_views(settings, tmp_path):
    load_files([csv_file(tmp_path, "a.csv", [offering_row(partners="employer;community", assessment="no")])], settings)
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:

        def columns(view):
            return [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]

        assert columns("submissions")[:0] == [] and set(SUBMISSIONS_COLUMNS) <= set(columns("submissions"))
        assert set(ISSUES_COLUMNS) <= set(columns("validation_issues"))
        offering_columns = columns("current_offerings")
        assert offering_columns[: len(EXPORT_COLUMNS)] == EXPORT_COLUMNS
        row = con.execute(
            "SELECT partner_categories, no_assessment, no_partner, institution_name, sector FROM current_offerings"
        ).fetchone()
        assert row == (
            ["employer_industry", "community"],
            True,
            False,
            "British Columbia Institute of Technology",
            "institute",
        )
        kind = con.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'current_offerings' "
            "AND column_name = 'partner_categories'"
        ).fetchone()[0]
        assert kind == "VARCHAR[]"
    finally:
        con.close()
    # Nothing is left beside the file once a load is over.
    leftovers = sorted(p.name for p in settings.db_path.parent.iterdir() if p.name.startswith("."))
    assert leftovers == []


def test_readers_and_the_loader_do_not_block_each_other(settings, tmp_path):
    load_files([csv_file(tmp_path, "a.csv", [offering_row(oid="A")])], settings)
    with read_only(settings.db_path) as con:
        load_files([csv_file(tmp_path, "b.csv", [offering_row(oid="B")])], settings)
        # A connection opened before the load keeps its consistent view...
        assert con.execute("SELECT offering_id FROM current_offerings").fetchall() == [("A",)]
    # ... and a new one sees the load.
    assert [r[2] for r in current(settings)] == ["B"]


@pytest.mark.parametrize("missing", ["no-such-file.csv", "no-such-folder"])
def test_unreadable_paths_stop_the_load_before_it_starts(settings, tmp_path, missing):
    from etl.load import LoadError

    with pytest.raises(LoadError, match="no such file"):
        load_files([tmp_path / missing], settings)
    assert not settings.db_path.exists()


def test_a_data_folder_without_deadlines_loads(tmp_path):
    """deadlines.toml is optional: without it there are simply no deadlines."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DEFAULT_DATA_DIR / "institutions.csv", data / "institutions.csv")
    settings = Settings(db_path=tmp_path / "w.duckdb", data_dir=data)
    [outcome] = load_files([csv_file(tmp_path, "a.csv", [offering_row()])], settings)
    assert outcome.status == "accepted"
    with read_only(settings.db_path) as con:
        assert con.execute("SELECT count(*) FROM reporting_deadline").fetchone()[0] == 0


def test_a_killed_loads_spill_folder_is_cleared_by_the_next_load(settings, tmp_path):
    """DuckDB spills past the loader's memory budget into a folder beside the private copy;
    a load killed mid-way leaves it behind, and the next load (holding the lock) removes it."""
    spill = settings.db_path.with_name(f".{settings.db_path.name}.next-99999.tmp")
    spill.mkdir(parents=True)
    (spill / "duckdb_temp_block-1.block").write_bytes(b"x" * 1024)
    [outcome] = load_files([csv_file(tmp_path, "a.csv", [offering_row()])], settings)
    assert outcome.status == "accepted"
    assert not spill.exists()


@pytest.mark.parametrize(("chosen", "expected"), [("", "jemalloc"), ("system", "system")])
def test_a_load_uses_jemalloc_for_arrow_unless_the_user_chose_a_pool(tmp_path, chosen, expected):
    # In a fresh process: the pool is process-wide, and pyarrow reads the variable once.
    script = (
        "import sys, pyarrow as pa\n"
        "from pathlib import Path\n"
        "from etl.config import DEFAULT_DATA_DIR, Settings\n"
        "from etl.load import load_files\n"
        "before = pa.default_memory_pool().backend_name\n"
        "load_files([], Settings(db_path=Path(sys.argv[1]), data_dir=DEFAULT_DATA_DIR))\n"
        "print(before, pa.default_memory_pool().backend_name)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "w.duckdb")], env=env, capture_output=True, text=True, check=True
    )
    before, after = done.stdout.split()
    assert after == expected and before == (chosen or before)  # a pool chosen is the pool used
