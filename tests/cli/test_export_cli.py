"""`mcred export`: formats, standard output, filters parsed like the URL, exit 2 with one line
for unknown values, no binary output to a terminal (interfaces.md, "Command line")."""

from __future__ import annotations

import csv
import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from etl.load import load_files
from mcred.cli import main

MCRED = Path(sys.executable).with_name("mcred")


HEADER = [
    "institution_code",
    "reporting_period",
    "offering_id",
    "title",
    "mc_type",
    "delivery_mode",
    "credit_status",
    "partner_categories",
    "continuing_education",
    "duration_hours",
    "assessment",
    "enrolments",
    "completions",
]


def offering(inst, oid, title="Intro to Python", period="2024/25", delivery="online", ce="yes") -> list[str]:
    return [
        inst,
        period,
        oid,
        title,
        "technical_skill",
        delivery,
        "non_credit",
        "employer_industry",
        ce,
        "40",
        "yes",
        "20",
        "15",
    ]


@pytest.fixture
def db(tmp_path, settings) -> Path:
    path = tmp_path / "subs.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [
                HEADER,
                offering("BCIT", "A1", title="=1+2"),
                offering("BCIT", "A2", ce="no"),
                offering("UBC", "U1", delivery="onsite"),
                offering("UBC", "U2", period="2023/24"),
            ]
        )
    outcomes = load_files([path], settings)
    assert {o.status for o in outcomes} == {"accepted"}
    return settings.db_path


def run(capsysbinary, *argv) -> tuple[int, bytes, str]:
    code = main([str(a) for a in argv])
    out, err = capsysbinary.readouterr()
    return code, out, err.decode()


def offering_ids(data: bytes) -> list[str]:
    return sorted(r["offering_id"] for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_to_standard_output_by_default(db, capsysbinary):
    code, out, err = run(capsysbinary, "export", "--db", db)
    assert code == 0 and err == ""
    assert out.startswith(b"\xef\xbb\xbf") and offering_ids(out) == ["A1", "A2", "U1"]  # latest period
    assert b'"\'=1+2"' in out  # the formula is neutralised


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--period", "all"], ["A1", "A2", "U1", "U2"]),
        (["--period", "2023-24"], ["U2"]),
        (["--institution", "ubc", "--period", "2023/24,2024/25"], ["U1", "U2"]),
        (["--institution", "BCIT", "--institution", "UBC", "--ce", "NO"], ["A2"]),
        (["--delivery", "onsite", "--sector", "research_university"], ["U1"]),
        (["--search", "PYTHON", "--institution", "BCIT"], ["A2"]),
    ],
)
def test_filters_like_the_url(db, capsysbinary, argv, expected):
    code, out, _ = run(capsysbinary, "export", "--db", db, *argv)
    assert code == 0 and offering_ids(out) == expected


def test_out_file_in_each_format(db, tmp_path, capsysbinary):
    for fmt in ("csv", "xlsx", "parquet"):
        target = tmp_path / f"x.{fmt}"
        code, out, err = run(capsysbinary, "export", "--db", db, "--format", fmt, "--out", target, "--period", "all")
        assert code == 0 and out == b"" and err.strip() == f"wrote 4 offerings to {target}"
        assert not list(tmp_path.glob(".*.part"))
    assert pq.read_table(tmp_path / "x.parquet").num_rows == 4
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert book["offerings"].max_row == 5 and dict(book["about"].iter_rows(values_only=True))["rows"] == "4"
    title = next(r[3] for r in book["offerings"].iter_rows(min_row=2) if r[2].value == "A1")
    assert title.value == "=1+2" and title.data_type == "s"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (
            ["--sector", "colege"],
            "unknown sector 'colege': accepted values are research_university, teaching_university, college, institute",
        ),
        (["--ce", "maybe"], "unknown ce 'maybe': accepted values are yes, no"),
        (["--period", "1999/00"], "unknown period '1999/00': accepted values are 2023/24, 2024/25, all"),
    ],
)
def test_unknown_value_exits_2_with_one_line(db, capsysbinary, argv, words):
    code, out, err = run(capsysbinary, "export", "--db", db, *argv)
    assert code == 2 and out == b""
    assert err.strip().splitlines() == [f"mcred: error: {words}"]


def test_missing_database_exits_2(tmp_path, capsysbinary):
    code, _, err = run(capsysbinary, "export", "--db", tmp_path / "none.duckdb")
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1


def test_refuses_binary_formats_to_a_terminal(db):
    env = {**os.environ, "MCRED_DB": str(db)}
    for fmt, refused in (("parquet", True), ("xlsx", True), ("csv", False)):
        leader, follower = pty.openpty()
        proc = subprocess.run(
            [str(MCRED), "export", "--format", fmt], stdout=follower, stderr=subprocess.PIPE, env=env, timeout=60
        )
        os.close(follower)
        os.close(leader)
        if refused:
            assert proc.returncode == 2
            assert proc.stderr.decode().strip() == (
                f"mcred: error: refusing to write {fmt} to a terminal: add --out FILE (or pipe it)"
            )
        else:
            assert proc.returncode == 0


def test_binary_format_through_a_pipe(db):
    proc = subprocess.run(
        [str(MCRED), "export", "--db", str(db), "--format", "parquet", "--period", "all"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert pq.read_table(io.BytesIO(proc.stdout)).num_rows == 4
