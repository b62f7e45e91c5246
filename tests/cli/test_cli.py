"""The ``mcred`` command line: output, --json shape, exit codes 0/1/2 and one-line
error messages (interfaces.md, "Command line")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from submission_files import HEADER, csv_file, offering_row

from etl.warehouse import read_only
from mcred.cli import main

MCRED = Path(sys.executable).with_name("mcred")
SUBMISSION_KEYS = {
    "file",
    "institution_code",
    "reporting_period",
    "status",
    "rows_accepted",
    "rows_rejected",
    "errors",
    "warnings",
    "issues",
}
ISSUE_KEYS = {"severity", "row", "column", "value", "message"}
STATUSES = {"accepted", "partial", "rejected", "already_loaded"}


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mcred: error: ") and "Traceback" not in err
    return lines[0]


def good(tmp_path, name="good.csv", inst="BCIT", **over) -> Path:
    return csv_file(tmp_path, name, [offering_row(inst=inst, **over)])


def bad(tmp_path, name="bad.csv") -> Path:
    return csv_file(tmp_path, name, [offering_row(oid="B1", enrolments="5", completions="9")])


# --- load: lines and exit codes ---------------------------------------------------------


def test_load_accepted_exits_0_with_one_line_per_submission(tmp_path, db, capsys):
    path = csv_file(tmp_path, "two.csv", [offering_row(inst="BCIT"), offering_row(inst="UBC")])
    code, out, err = run(capsys, "load", "--db", db, path)
    assert code == 0 and err == ""  # no progress when stderr is not a terminal
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("ACCEPTED") and "BCIT 2024/25" in lines[0] and "two.csv" in lines[0]
    assert lines[1].startswith("ACCEPTED") and "UBC 2024/25" in lines[1]
    assert lines[2] == "2 submissions: 2 accepted"


def test_load_rejected_exits_1_and_shows_the_errors(tmp_path, db, capsys):
    code, out, err = run(capsys, "load", "--db", db, good(tmp_path, inst="UBC"), bad(tmp_path))
    assert code == 1 and err == ""
    lines = out.splitlines()
    headlines = [line for line in lines if not line.startswith(" ")]
    assert [line.split()[0] for line in headlines[:2]] == ["ACCEPTED", "REJECTED"]
    assert any(line.startswith("    row 2, completions:") and "more than enrolments" in line for line in lines)
    assert headlines[-1] == "2 submissions: 1 accepted, 1 rejected"


def test_load_again_is_already_loaded_and_exits_0(tmp_path, db, capsys):
    path = good(tmp_path)
    assert run(capsys, "load", "--db", db, path)[0] == 0
    code, out, _ = run(capsys, "load", "--db", db, path)
    assert code == 0 and out.startswith("ALREADY LOADED") and "1 already loaded" in out


def test_allow_partial_exits_0(tmp_path, db, capsys):
    path = csv_file(tmp_path, "p.csv", [offering_row(oid="A"), offering_row(oid="B", hours="0")])
    code, out, _ = run(capsys, "load", "--db", db, "--allow-partial", path)
    assert code == 0 and out.startswith("PARTIAL") and "1 rows accepted, 1 rejected" in out


def test_load_searches_folders(tmp_path, db, capsys):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good(inbox, "a.csv", inst="BCIT")
    good(inbox, "b.csv", inst="SFU")
    code, out, _ = run(capsys, "load", "--db", db, inbox)
    assert code == 0 and out.splitlines()[-1] == "2 submissions: 2 accepted"


def test_db_defaults_to_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MCRED_DB", str(tmp_path / "from-env.duckdb"))
    assert run(capsys, "load", good(tmp_path))[0] == 0
    assert (tmp_path / "from-env.duckdb").exists()


# --- load --json -----------------------------------------------------------------------


def test_load_json_shape(tmp_path, db, capsys):
    unreadable = tmp_path / "junk.xlsx"
    unreadable.write_bytes(b"this is not a workbook")
    files = [good(tmp_path, inst="UBC", assessment="no"), bad(tmp_path), unreadable]
    code, out, err = run(capsys, "load", "--db", db, "--json", *files)
    assert code == 1 and err == ""
    doc = json.loads(out)  # one JSON object, nothing else on stdout
    assert list(doc) == ["submissions"]
    subs = doc["submissions"]
    assert len(subs) == 3
    for sub in subs:
        assert SUBMISSION_KEYS <= set(sub)
        assert sub["status"] in STATUSES
        for key in ("rows_accepted", "rows_rejected", "errors", "warnings"):
            assert isinstance(sub[key], int)
        for issue in sub["issues"]:
            assert ISSUE_KEYS <= set(issue)
            assert issue["severity"] in ("error", "warning")
    by_file = {s["file"]: s for s in subs}
    ok = by_file["good.csv"]
    assert (ok["institution_code"], ok["reporting_period"], ok["status"]) == ("UBC", "2024/25", "accepted")
    assert (ok["rows_accepted"], ok["rows_rejected"], ok["errors"], ok["warnings"]) == (1, 0, 0, 1)
    assert [(i["severity"], i["row"], i["column"], i["value"]) for i in ok["issues"]] == [
        ("warning", 2, "assessment", "no")
    ]
    rejected = by_file["bad.csv"]
    assert (rejected["status"], rejected["rows_rejected"], rejected["errors"]) == ("rejected", 1, 1)
    [issue] = rejected["issues"]
    assert (issue["row"], issue["column"], issue["value"]) == (2, "completions", "9")
    junk = by_file["junk.xlsx"]
    assert (junk["status"], junk["institution_code"], junk["reporting_period"]) == ("rejected", None, None)
    assert junk["issues"] and junk["issues"][0]["severity"] == "error"

    code, out, _ = run(capsys, "load", "--db", db, "--json", files[0])
    assert code == 0 and json.loads(out)["submissions"][0]["status"] == "already_loaded"


def test_load_json_lists_every_issue(tmp_path, db, capsys):
    rows = [offering_row(oid=f"X{n}", title=f"T{n}", hours="0") for n in range(30)]
    code, out, _ = run(capsys, "load", "--db", db, "--json", csv_file(tmp_path, "many.csv", rows))
    [sub] = json.loads(out)["submissions"]
    assert sub["errors"] == 30 and len(sub["issues"]) == 30


# --- exit 2: usage, unreadable input, unusable database -------------------------------------


def test_unreadable_path_exits_2(tmp_path, db, capsys):
    code, _, err = run(capsys, "load", "--db", db, tmp_path / "nowhere.csv")
    assert code == 2
    assert "nowhere.csv" in one_line_error(err)
    assert not db.exists()


def test_folder_without_submissions_exits_2(tmp_path, db, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "load", "--db", db, tmp_path / "empty")
    assert code == 2 and ".csv or .xlsx" in one_line_error(err)


def test_corrupt_database_exits_2(tmp_path, capsys):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(os.urandom(64 * 1024))
    before = junk.read_bytes()
    code, _, err = run(capsys, "load", "--db", junk, good(tmp_path))
    assert code == 2
    line = one_line_error(err)
    assert "junk.duckdb" in line and "move it aside" in line
    assert junk.read_bytes() == before  # never overwritten
    code, _, err = run(capsys, "status", "--db", junk)
    assert code == 2 and "junk.duckdb" in one_line_error(err)


def test_a_duckdb_file_that_is_not_a_warehouse_exits_2(tmp_path, capsys):
    import duckdb

    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    con.close()
    code, _, err = run(capsys, "load", "--db", other, good(tmp_path))
    assert code == 2 and "not an mcred warehouse" in one_line_error(err)


def test_database_path_that_is_a_folder_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "load", "--db", tmp_path, good(tmp_path))
    assert code == 2
    one_line_error(err)


def test_missing_database_for_status_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "status", "--db", tmp_path / "none.duckdb")
    assert code == 2 and "mcred load" in one_line_error(err)


HOLDER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])          # read-write: excludes every other process
    con.execute("SELECT count(*) FROM submissions").fetchall()
    print("ready", flush=True)
    sys.stdin.read()                           # hold until the test closes stdin
    con.close()
""")


def test_locked_database_exits_2_and_works_once_released(tmp_path, db, capsys):
    assert run(capsys, "load", "--db", db, good(tmp_path, "first.csv"))[0] == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        code, _, err = run(capsys, "load", "--db", db, good(tmp_path, "second.csv", inst="UBC"))
        assert code == 2
        line = one_line_error(err)
        assert "locked" in line and "try again" in line
        code, _, err = run(capsys, "status", "--db", db)
        assert code == 2 and "locked" in one_line_error(err)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    code, out, _ = run(capsys, "load", "--db", db, good(tmp_path, "second.csv", inst="UBC"))
    assert code == 0 and out.startswith("ACCEPTED")


def test_a_crashed_outside_writer_does_not_block_loads(tmp_path, db, capsys):
    """A DuckDB client killed while writing leaves a .wal beside the file (platform facts)."""
    assert run(capsys, "load", "--db", db, good(tmp_path, "first.csv"))[0] == 0
    crash = textwrap.dedent("""
        import os, signal, sys, duckdb
        con = duckdb.connect(sys.argv[1])
        con.execute("CREATE TABLE analyst_scratch AS SELECT range AS i FROM range(1000)")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    subprocess.run([sys.executable, "-c", crash, str(db)], timeout=60)
    code, out, err = run(capsys, "load", "--db", db, good(tmp_path, "second.csv", inst="UBC"))
    assert (code, err) == (0, ""), err
    with read_only(db) as con:
        assert con.execute("SELECT count(*) FROM current_offerings").fetchone()[0] == 2


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's own usage errors
        main(["load"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["load", "--no-such-option", "x.csv"])
    assert exc.value.code == 2
    assert main([]) == 2


def _commands() -> list[str]:
    import argparse

    from mcred.cli import build_parser

    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(sub.choices)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_and_db(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "--db" in capsys.readouterr().out


# --- the installed console script ------------------------------------------------------------


def test_console_script_exit_codes_and_stderr(tmp_path):
    db = tmp_path / "w.duckdb"
    env = {k: v for k, v in os.environ.items() if k not in ("MCRED_DB", "MCRED_DEBUG")}

    def mcred(*argv):
        return subprocess.run([str(MCRED), *map(str, argv)], capture_output=True, text=True, env=env, timeout=120)

    loaded = mcred("load", "--db", db, "--json", good(tmp_path), bad(tmp_path))
    assert loaded.returncode == 1 and loaded.stderr == ""
    assert [s["status"] for s in json.loads(loaded.stdout)["submissions"]] == ["accepted", "rejected"]
    missing = mcred("load", "--db", db, tmp_path / "missing.csv")
    assert missing.returncode == 2 and missing.stdout == ""
    one_line_error(missing.stderr)


def test_status_json(tmp_path, db, capsys):
    run(capsys, "load", "--db", db, good(tmp_path), bad(tmp_path))  # BCIT: accepted, then a rejected file
    code, out, _ = run(capsys, "status", "--db", db, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["periods"] == ["2024/25"]
    statuses = {i["code"]: i["periods"]["2024/25"]["status"] for i in doc["institutions"]}
    assert len(statuses) == 25 and statuses["BCIT"] == "accepted" and statuses["UBC"] == "missing"
    assert doc["totals"]["2024/25"] == {"accepted": 1, "partial": 0, "rejected": 0, "missing": 24}


def test_header_constant_matches_the_format():
    # conftest.HEADER is the short submission most CLI tests write.
    from etl import spec

    assert all(spec.match_header(h) for h in HEADER.split(","))


def test_progress_shows_on_a_terminal_only(tmp_path):
    import pty

    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run(
            [str(MCRED), "load", "--db", str(tmp_path / "w.duckdb"), str(good(tmp_path))],
            stdout=subprocess.PIPE,
            stderr=secondary,
            timeout=120,
        )
        os.close(secondary)
        secondary = None
        shown = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if secondary is not None:
            os.close(secondary)
        os.close(primary)
    assert proc.returncode == 0
    assert b"[1/1] loading good.csv" in shown
    assert b"loading" not in proc.stdout  # the report itself is not mixed with progress


def test_sample_with_no_offerings_is_a_usage_error(tmp_path, capsys):
    from mcred.cli import main

    assert main(["sample", "--out", str(tmp_path / "s"), "--offerings", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--offerings must be at least 1" in err[0]
