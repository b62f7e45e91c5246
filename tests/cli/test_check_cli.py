"""``mcred check``: writes nothing, exit codes 0/1/2 with one-line errors, load's lines, and the
edit-check section when the warehouse has the year before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from submission_files import csv_file, offering_row

from mcred.cli import main

MCRED = Path(sys.executable).with_name("mcred")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file beside the database, with its size, mtime and bytes."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


@pytest.fixture
def warehouse(tmp_path, capsys) -> Path:
    """A warehouse in its own folder with BCIT 2023/24 (4 offerings, 100 enrolled) loaded."""
    folder = tmp_path / "wh"
    folder.mkdir()
    db = folder / "w.duckdb"
    rows = [
        offering_row(inst="BCIT", period="2023/24", oid=f"A{n}", title=f"T{n}", enrolments="25", completions="20")
        for n in range(4)
    ]
    assert main(["load", "--db", str(db), str(csv_file(tmp_path, "bcit-2023.csv", rows))]) == 0
    (folder / "w.duckdb.lock").unlink()  # the loader's lock file: check must not make one
    capsys.readouterr()
    return db


def files(tmp_path: Path) -> dict[str, Path]:
    return {
        # BCIT 2024/25: 1 offering (A0) of 300 hours, 10 enrolled: -75% offerings, -90% enrolments.
        "good": csv_file(
            tmp_path, "good.csv", [offering_row(inst="BCIT", oid="A0", hours="300", enrolments="10", completions="5")]
        ),
        "bad": csv_file(tmp_path, "bad.csv", [offering_row(inst="UBC", enrolments="many")]),
        "loaded": tmp_path / "bcit-2023.csv",
    }


def test_check_writes_nothing(warehouse, tmp_path, capsys):
    before = snapshot(warehouse.parent)
    f = files(tmp_path)
    for argv in (
        ["check", "--db", warehouse, f["good"], f["bad"], f["loaded"]],
        ["check", "--db", warehouse, "--json", f["good"], f["bad"], f["loaded"]],
        ["check", "--db", warehouse, "--allow-partial", "--replace", tmp_path],
    ):
        run(capsys, *argv)
        assert snapshot(warehouse.parent) == before
    # Without a database: none is made, nor anything beside where it would be.
    missing = tmp_path / "empty" / "none.duckdb"
    missing.parent.mkdir()
    assert run(capsys, "check", "--db", missing, f["good"])[0] == 0
    assert list(missing.parent.iterdir()) == []


def test_exit_codes_and_lines(warehouse, tmp_path, capsys):
    f = files(tmp_path)
    code, out, err = run(capsys, "check", "--db", warehouse, f["good"], f["loaded"])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(
        "ACCEPTED        BCIT 2024/25   good.csv: 1 rows accepted, 0 rejected, 0 errors, 1 warnings"
    )
    assert lines[1].startswith("ALREADY LOADED  BCIT 2023/24   bcit-2023.csv: 4 rows accepted")
    assert lines[-1].startswith("2 submissions would be: 1 accepted, 1 already loaded (checked against ")
    assert lines[-1].endswith("; nothing written)")
    code, out, err = run(capsys, "check", "--db", warehouse, f["good"], f["bad"])
    assert code == 1
    assert "REJECTED        UBC 2024/25    bad.csv" in out
    assert "    row 2, enrolments: 'many' is not a whole number" in out


def test_json_has_load_shape_and_the_edit_checks(warehouse, tmp_path, capsys):
    f = files(tmp_path)
    code, out, _ = run(capsys, "check", "--db", warehouse, "--json", f["good"], f["bad"])
    doc = json.loads(out)
    assert code == 1
    good, bad = doc["submissions"]
    assert (good["status"], good["submission_id"], good["supersedes"]) == ("accepted", None, None)
    assert bad["status"] == "rejected" and bad["errors"] == 1
    assert [i["rule"] for i in good["issues"]] == ["over_duration"]
    [edit] = doc["edit_checks"]  # the rejected file has no rows to compare
    assert edit["file"] == "good.csv" and edit["compared_with"]["reporting_period"] == "2023/24"
    assert edit["threshold"] == 0.5
    assert [(c["code"], c["rows"]) for c in edit["checks"]] == [
        ("offerings_change", []),
        ("enrolments_change", []),
        ("offering_ids_disappeared", []),
        ("over_duration", [2]),
    ]
    assert edit["checks"][0]["message"] == "Offerings fell from 4 in 2023/24 to 1 in 2024/25 (-75%)."
    assert edit["checks"][2]["message"] == "3 offerings of 2023/24 are not in this submission: A1, A2, A3."


def test_the_text_output_lists_the_edit_checks(warehouse, tmp_path, capsys):
    f = files(tmp_path)
    _, out, _ = run(capsys, "check", "--db", warehouse, f["good"])
    assert "edit checks (against the current submissions of the year before in " in out
    assert "  BCIT 2024/25 good.csv, compared with submission 1 (2023/24):" in out
    assert "    enrolments_change: Enrolments fell from 100 in 2023/24 to 10 in 2024/25 (-90%)." in out


def test_the_threshold_setting(warehouse, tmp_path, capsys, monkeypatch):
    f = files(tmp_path)
    monkeypatch.setenv("MCRED_EDIT_THRESHOLD", "0.8")  # -75% offerings is not more than 80%; -90% is
    _, out, _ = run(capsys, "check", "--db", warehouse, "--json", f["good"])
    [edit] = json.loads(out)["edit_checks"]
    assert [c["code"] for c in edit["checks"]] == ["enrolments_change", "offering_ids_disappeared", "over_duration"]
    monkeypatch.setenv("MCRED_EDIT_THRESHOLD", "lots")
    code, out, err = run(capsys, "check", "--db", warehouse, f["good"])
    assert code == 2 and out == ""
    assert (
        err
        == "mcred: error: MCRED_EDIT_THRESHOLD='lots' is not a share above 0: write one like 0.5 (a change of 50%)\n"
    )


def test_no_edit_checks_without_the_year_before(warehouse, tmp_path, capsys):
    uvic = csv_file(tmp_path, "uvic.csv", [offering_row(inst="UVIC", hours="300")])
    _, out, _ = run(capsys, "check", "--db", warehouse, "--json", uvic)
    assert "edit_checks" not in json.loads(out)
    _, out, _ = run(capsys, "check", "--db", tmp_path / "none.duckdb", "--json", files(tmp_path)["good"])
    assert "edit_checks" not in json.loads(out)
    _, out, _ = run(capsys, "check", "--db", warehouse, uvic)
    assert "edit checks" not in out


def _cli(*argv) -> subprocess.CompletedProcess:
    env = {**os.environ, "MCRED_DEBUG": ""}
    return subprocess.run([str(MCRED), *map(str, argv)], capture_output=True, text=True, env=env, timeout=120)


def test_usage_errors_are_one_line_and_exit_2(warehouse, tmp_path):
    proc = _cli("check", "--db", warehouse, tmp_path / "nope.csv")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("mcred: error: cannot read ") and proc.stderr.count("\n") == 1
    assert proc.stderr.endswith("nope.csv: no such file or folder\n")
    proc = _cli("check", "--db", warehouse, "--no-such-option", tmp_path / "good.csv")
    assert proc.returncode == 2 and "unrecognized arguments: --no-such-option" in proc.stderr
    proc = _cli("check")
    assert proc.returncode == 2 and "the following arguments are required: PATH" in proc.stderr
    empty = tmp_path / "nothing"
    empty.mkdir()
    proc = _cli("check", empty)
    assert proc.returncode == 2 and proc.stderr.startswith("mcred: error: no .csv or .xlsx files found in ")


def test_a_database_that_is_not_a_warehouse(tmp_path, capsys):
    good = files(tmp_path)["good"]
    other = tmp_path / "other.duckdb"
    import duckdb

    duckdb.connect(str(other)).execute("CREATE TABLE t (x INTEGER)").close()
    code, out, err = run(capsys, "check", "--db", other, good)
    assert code == 2 and out == ""
    assert "is a DuckDB database but not an mcred warehouse" in err and err.count("\n") == 1
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all" * 100)
    code, _, err = run(capsys, "check", "--db", junk, good)
    assert code == 2 and "cannot be opened" in err and err.count("\n") == 1
