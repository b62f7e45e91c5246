"""Reporting deadlines: data/deadlines.toml is checked (every problem named by its entry),
copied into the warehouse on every load, and makes lateness computable in reporting_status."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from etl.reference import ReferenceDataError, read_deadlines

HEADER = (
    "institution_code,reporting_period,offering_id,title,mc_type,delivery_mode,credit_status,"
    "partner_categories,continuing_education,duration_hours,assessment,enrolments,completions"
)


def offering_row(inst: str = "BCIT", period: str = "2024/25", mc_type: str = "technical_skill") -> str:
    return f"{inst},{period},A1,Intro,{mc_type},online,non_credit,employer_industry,yes,40,yes,20,15"


def csv_file(folder: Path, name: str, rows: list[str]) -> Path:
    # (not tests/conftest.py's helper: "conftest" may name another folder's conftest when suites run together)
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deadlines.toml"
    path.write_text(text, encoding="utf-8")
    return path


def data_dir(tmp_path: Path, toml: str | None) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(DEFAULT_DATA_DIR / "institutions.csv", folder / "institutions.csv")
    if toml is not None:
        (folder / "deadlines.toml").write_text(toml, encoding="utf-8")
    return folder


def test_committed_file_has_june_30_after_each_fiscal_year():
    deadlines = read_deadlines(DEFAULT_DATA_DIR / "deadlines.toml")
    assert deadlines == {f"{y}/{(y + 1) % 100:02d}": date(y + 1, 6, 30) for y in range(2021, 2027)}


def test_spellings_of_periods_and_iso_strings_are_accepted(tmp_path):
    path = write(tmp_path, '[deadlines]\n"2024-25" = 2025-06-30\n"FY2025/2026" = "2026-07-15"\n')
    assert read_deadlines(path) == {"2024/25": date(2025, 6, 30), "2025/26": date(2026, 7, 15)}


def test_missing_file_means_no_deadlines(tmp_path):
    assert read_deadlines(tmp_path / "nope.toml") == {}


def test_every_problem_is_reported_naming_its_entry(tmp_path):
    path = write(
        tmp_path,
        "\n".join(
            [
                "[deadlines]",
                '"2024/26" = 2025-06-30',  # not consecutive years
                '"2023/24" = 2024-06-30',
                '"2023-24" = 2024-07-31',  # the same year spelled differently
                '"2022/23" = 2023-06-30T12:00:00',  # a time, not a date
                '"2021/22" = "June 30"',  # not a date
                '"2020/21" = 2019-06-30',  # before the year starts
                "[extra]",
                "x = 1",
            ]
        )
        + "\n",
    )
    with pytest.raises(ReferenceDataError) as err:
        read_deadlines(path)
    message = str(err.value)
    assert str(path) in message
    assert "unknown top-level keys ['extra']" in message
    assert "[deadlines] '2024/26': not a fiscal year like \"2024/25\"" in message
    assert "[deadlines] '2023-24': the same fiscal year as '2023/24'" in message
    assert (
        "[deadlines] '2022/23': datetime.datetime(2023, 6, 30, 12, 0) is not a date; write one like 2023-06-30"
        in message
    )
    assert "[deadlines] '2021/22': 'June 30' is not a date" in message
    assert "[deadlines] '2020/21': 2019-06-30 is before the fiscal year starts (2020-04-01)" in message


def test_toml_syntax_error_names_the_file(tmp_path):
    path = write(tmp_path, "[deadlines\n")
    with pytest.raises(ReferenceDataError, match="deadlines.toml"):
        read_deadlines(path)


def test_a_bad_file_stops_the_load_before_anything_changes(tmp_path):
    settings = Settings(tmp_path / "w.duckdb", data_dir(tmp_path, '[deadlines]\n"2024/25" = "soon"\n'))
    files = tmp_path / "files"
    files.mkdir()
    path = csv_file(files, "a.csv", [offering_row()])
    with pytest.raises(ReferenceDataError, match=r"\[deadlines\] '2024/25'"):
        load_files([path], settings)
    assert not settings.db_path.exists()


def status_rows(db: Path) -> dict[tuple[str, str], tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""
            SELECT institution_code, reporting_period, status, deadline, late, overdue, current_loaded_at
            FROM reporting_status WHERE institution_code IN ('BCIT', 'UBC', 'CAM')
        """).fetchall()
    finally:
        con.close()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_deadlines_are_copied_and_lateness_follows_them(tmp_path):
    # 2020/21's deadline is long past (everything loaded now is late); 2099/00's is far away.
    settings = Settings(
        tmp_path / "w.duckdb", data_dir(tmp_path, '[deadlines]\n"2020/21" = 2021-06-30\n"2099/00" = 2100-06-30\n')
    )
    files = tmp_path / "files"
    files.mkdir()
    paths = [
        csv_file(files, "bcit_old.csv", [offering_row("BCIT", "2020/21")]),
        csv_file(files, "ubc_old_rejected.csv", [offering_row("UBC", "2020/21", mc_type="nonsense")]),
        csv_file(files, "bcit_future.csv", [offering_row("BCIT", "2099/00")]),
        csv_file(files, "bcit_undated.csv", [offering_row("BCIT", "2030/31")]),
    ]
    load_files(paths, settings)
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        assert con.execute("SELECT * FROM reporting_deadline ORDER BY period").fetchall() == [
            ("2020/21", date(2021, 6, 30)),
            ("2099/00", date(2100, 6, 30)),
        ]
        closes = con.execute("SELECT closes_at FROM reporting_deadlines WHERE reporting_period = '2020/21'").fetchone()[
            0
        ]
        # The end of June 30, Pacific daylight time (UTC-7).
        assert closes.utcoffset() is not None
        assert (
            con.execute(
                "SELECT closes_at = TIMESTAMPTZ '2021-07-01 07:00:00+00' FROM reporting_deadlines "
                "WHERE reporting_period = '2020/21'"
            ).fetchone()[0]
            is True
        )
    finally:
        con.close()
    rows = status_rows(settings.db_path)
    status, deadline, late, overdue, loaded_at = rows[("BCIT", "2020/21")]
    assert (status, deadline, late, overdue) == ("accepted", date(2021, 6, 30), True, False)
    assert loaded_at is not None
    # rejected only, after the deadline: overdue, not late (nothing current was loaded)
    assert rows[("UBC", "2020/21")][:4] == ("rejected", date(2021, 6, 30), False, True)
    assert rows[("CAM", "2020/21")][:4] == ("missing", date(2021, 6, 30), False, True)
    assert rows[("BCIT", "2099/00")][:4] == ("accepted", date(2100, 6, 30), False, False)
    assert rows[("CAM", "2099/00")][:4] == ("missing", date(2100, 6, 30), False, False)
    # no deadline set: never late nor overdue
    assert rows[("BCIT", "2030/31")][:4] == ("accepted", None, False, False)
    assert rows[("UBC", "2030/31")][:4] == ("missing", None, False, False)


def test_a_later_load_replaces_the_deadlines(tmp_path):
    folder = data_dir(tmp_path, '[deadlines]\n"2020/21" = 2021-06-30\n')
    settings = Settings(tmp_path / "w.duckdb", folder)
    files = tmp_path / "files"
    files.mkdir()
    load_files([csv_file(files, "a.csv", [offering_row("BCIT", "2020/21")])], settings)
    assert status_rows(settings.db_path)[("BCIT", "2020/21")][2] is True
    (folder / "deadlines.toml").write_text('[deadlines]\n"2020/21" = 2100-01-01\n', encoding="utf-8")
    load_files([], settings)
    assert status_rows(settings.db_path)[("BCIT", "2020/21")][1:3] == (date(2100, 1, 1), False)


def test_mcred_status_shows_late_and_overdue(tmp_path, capsys):
    from etl.status import reporting_status
    from mcred.cli import main

    settings = Settings(
        tmp_path / "w.duckdb", data_dir(tmp_path, '[deadlines]\n"2020/21" = 2021-06-30\n"2099/00" = 2100-06-30\n')
    )
    files = tmp_path / "files"
    files.mkdir()
    load_files(
        [
            csv_file(files, "a.csv", [offering_row("BCIT", "2020/21")]),
            csv_file(files, "b.csv", [offering_row("BCIT", "2099/00")]),
        ],
        settings,
    )
    status = reporting_status(settings.db_path)
    assert status["deadlines"] == {
        "2020/21": {"deadline": "2021-06-30", "late": 1, "overdue": 24},
        "2099/00": {"deadline": "2100-06-30", "late": 0, "overdue": 0},
    }
    bcit = next(i for i in status["institutions"] if i["code"] == "BCIT")["periods"]
    assert (bcit["2020/21"]["late"], bcit["2099/00"]["late"]) == (True, False)
    assert status["totals"]["2020/21"] == {"accepted": 1, "partial": 0, "rejected": 0, "missing": 24}
    assert main(["status", "--db", str(settings.db_path)]) == 0
    out = capsys.readouterr().out
    assert any(line.split() == ["BCIT", "ok*", "ok"] for line in out.splitlines())
    assert any(line.split() == ["UBC", "--!", "--"] for line in out.splitlines())
    assert "2020/21: 1 accepted, 0 partial, 0 rejected, 24 missing; deadline 2021-06-30: 1 late, 24 overdue" in out
