"""An XLSX export opens in a real spreadsheet program (LibreOffice, headless) with every cell
as written (text stays text, nothing runs as a formula), and loads back through `mcred load`
as the same offerings (interfaces.md, "Export endpoints")."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from etl.load import load_files
from mcred.cli import main as mcred

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

HEADER = [
    "institution_code",
    "reporting_period",
    "offering_id",
    "title",
    "mc_type",
    "delivery_mode",
    "credit_status",
    "credits",
    "partner_categories",
    "continuing_education",
    "duration_hours",
    "assessment",
    "enrolments",
    "completions",
    "tuition_cad",
    "start_date",
    "competencies",
]

TITLES = {
    "F1": '=HYPERLINK("http://example.com/x","click")',
    "F2": "+1+2",
    "F3": "@SUM(A1:A2)",
    "F4": "<b>bold</b> & 'quoted' \"too\"",
    "F5": "Café _x0041_ ünïcode",
}


def _rows() -> list[list[str]]:
    rows = []
    for n, (oid, title) in enumerate(TITLES.items()):
        rows.append(
            [
                "BCIT",
                "2024/25",
                oid,
                title,
                "technical_skill",
                "online",
                "credit" if n % 2 else "non_credit",
                "3" if n % 2 else "",
                "employer_industry;community",
                "yes" if n % 2 else "no",
                str(20 + n),
                "yes",
                str(1200 + n),
                str(10 + n),
                "450.5" if n == 0 else "",
                "2024-09-0" + str(n + 1),
                "=cmd|' /C calc'!A0" if n == 0 else "",
            ]
        )
    return rows


@pytest.fixture
def exported(tmp_path, settings) -> Path:
    source = tmp_path / "submission.csv"
    with open(source, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *_rows()])
    [outcome] = load_files([source], settings)
    assert outcome.status == "accepted", outcome.issues
    out = tmp_path / "export.xlsx"
    assert mcred(["export", "--db", str(settings.db_path), "--format", "xlsx", "--out", str(out)]) == 0
    return out


@pytest.mark.skipif(SOFFICE is None, reason="needs LibreOffice (make system-deps installs libreoffice-calc-nogui)")
def test_libreoffice_opens_the_export_with_every_cell_as_written(exported, tmp_path):
    profile = tmp_path / "lo-profile"  # its own profile: no clash with another soffice running
    run = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path / "lo"),
            str(exported),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    converted = tmp_path / "lo" / "export.csv"
    assert run.returncode == 0 and converted.exists(), run.stderr + run.stdout
    with open(converted, encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    by_id = {r["offering_id"]: r for r in table}
    assert sorted(by_id) == sorted(TITLES)
    for oid, title in TITLES.items():
        assert by_id[oid]["title"] == title  # a formula would show its result ("click", 3, an error)
    f1 = by_id["F1"]
    assert f1["competencies"] == "=cmd|' /C calc'!A0"
    assert f1["enrolments"] == "1200" and f1["completions"] == "10" and f1["tuition_cad"] == "450.5"
    assert f1["start_date"] == "2024-09-01"  # a date cell, shown in the export's yyyy-mm-dd format
    assert f1["continuing_education"].upper() == "FALSE" and by_id["F2"]["continuing_education"].upper() == "TRUE"
    assert by_id["F2"]["credits"] == "3" and f1["credits"] == ""
    assert f1["partner_categories"] == "employer_industry;community"
    assert f1["institution_name"] and f1["sector"]


def test_the_export_loads_back_as_the_same_offerings(exported, tmp_path, settings):
    from etl.config import Settings

    again = Settings(db_path=tmp_path / "again.duckdb", data_dir=settings.data_dir)
    [outcome] = load_files([exported], again)
    assert outcome.status == "accepted", outcome.issues
    assert outcome.sheet == "offerings" and outcome.rows_accepted == len(TITLES)
    columns = ", ".join(h for h in HEADER)
    query = f"SELECT {columns} FROM current_offerings ORDER BY offering_id"
    with (
        duckdb.connect(str(settings.db_path), read_only=True) as first,
        duckdb.connect(str(again.db_path), read_only=True) as second,
    ):
        assert first.execute(query).fetchall() == second.execute(query).fetchall()
