"""mcred history and mcred restore, and the hints mcred load gives about them."""

from __future__ import annotations

import json

from submission_files import csv_file, offering_row

from mcred.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_history_restore_and_the_already_loaded_hint(capsys, tmp_path):
    db = tmp_path / "w.duckdb"
    first = csv_file(tmp_path, "first.csv", [offering_row(oid="A1"), offering_row(oid="A2")])
    second = csv_file(tmp_path, "second.csv", [offering_row(oid="A1")])
    assert run(capsys, "load", first, "--db", db)[0] == 0
    assert run(capsys, "load", second, "--db", db)[0] == 0

    code, out, _ = run(capsys, "load", first, "--db", db)
    assert code == 0
    assert "ALREADY LOADED" in out and "not current: make it current with mcred restore 1" in out

    code, out, _ = run(capsys, "history", "BCIT", "2024/25", "--db", db, "--json")
    items = json.loads(out)["submissions"]
    assert [(i["submission_id"], i["is_current"], i["superseded_by"]) for i in items] == [
        (1, False, 2),
        (2, True, None),
    ]

    code, out, _ = run(capsys, "restore", "1", "--db", db)
    assert code == 0 and "RESTORED submission 1 is current for BCIT 2024/25 (replaces submission 2)" in out

    code, out, _ = run(capsys, "history", "BCIT", "2024/25", "--db", db)
    lines = out.splitlines()
    assert "current (restored)" in lines[1] and "first.csv" in lines[1]
    assert "superseded by 1" in lines[2] and "second.csv" in lines[2]

    code, out, _ = run(capsys, "status", "--json", "--db", db)
    bcit = next(i for i in json.loads(out)["institutions"] if i["code"] == "BCIT")
    assert bcit["periods"]["2024/25"]["submission_id"] == 1 and bcit["periods"]["2024/25"]["rows_accepted"] == 2


def test_restore_errors_are_one_line_exit_2(capsys, tmp_path):
    db = tmp_path / "w.duckdb"
    run(capsys, "load", csv_file(tmp_path, "a.csv", [offering_row()]), "--db", db)
    code, _, err = run(capsys, "restore", "1", "--db", db)
    assert code == 2 and err.strip() == "mcred: error: submission 1 is already the current one for BCIT 2024/25"
    code, _, err = run(capsys, "history", "XX", "2024/25", "--db", db)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "accepted: " in err


def test_partial_refusal_names_replace(capsys, tmp_path):
    db = tmp_path / "w.duckdb"
    full = [offering_row(oid=f"A{k}") for k in range(4)]
    run(capsys, "load", csv_file(tmp_path, "full.csv", full), "--db", db)
    bad = [offering_row(oid="A1"), *(offering_row(oid=f"B{k}", hours="x") for k in range(3))]
    path = csv_file(tmp_path, "bad.csv", bad)
    code, out, _ = run(capsys, "load", path, "--allow-partial", "--db", db)
    assert code == 1 and "REJECTED" in out and "--replace" in out
    code, out, _ = run(capsys, "load", path, "--allow-partial", "--replace", "--db", db)
    assert code == 0 and "PARTIAL" in out and "(supersedes submission 1)" in out
