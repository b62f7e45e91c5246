"""Plausible periods (issue 14, item 2): a fiscal year outside the years the ministry collects
(the first to the last in the deadlines file) is an error naming the accepted range."""

from __future__ import annotations

from submission_files import csv_file, offering_row

from etl.load import load_files
from etl.reference import read_deadlines
from etl.warehouse import read_only


def test_a_period_outside_the_deadlines_years_is_rejected_naming_the_range(settings, tmp_path):
    deadlines = read_deadlines(settings.deadlines_toml)
    first, last = min(deadlines), max(deadlines)
    [far] = load_files([csv_file(tmp_path, "far.csv", [offering_row(period="2099/00")])], settings)
    assert far.status == "rejected" and far.reporting_period is None
    [issue] = [i for i in far.issues if i["column"] == "reporting_period"]
    assert issue["message"] == (
        f"'2099/00' is not a fiscal year, one the ministry collects: {first} to {last}: "
        "write it as 2024/25 (two consecutive years)"
    )
    with read_only(settings.db_path) as con:
        assert con.execute("SELECT count(*) FROM current_offerings").fetchone() == (0,)


def test_many_implausible_periods_in_one_file_load_nothing(settings, tmp_path):
    rows = [offering_row(period=f"{y}/{(y + 1) % 100:02d}", oid=f"A{y}") for y in range(2000, 4000)]
    outcomes = load_files([csv_file(tmp_path, "many.csv", rows)], settings)
    accepted = {o.reporting_period for o in outcomes if o.status == "accepted"}
    deadlines = read_deadlines(settings.deadlines_toml)
    assert accepted == set(deadlines)  # only the years collected; every other row is an error
    assert any(o.status == "rejected" for o in outcomes)


def test_the_first_and_last_collected_years_are_accepted(settings, tmp_path):
    deadlines = read_deadlines(settings.deadlines_toml)
    rows = [offering_row(period=min(deadlines), oid="A1"), offering_row(period=max(deadlines), oid="A2")]
    outcomes = load_files([csv_file(tmp_path, "edges.csv", rows)], settings)
    assert sorted(o.status for o in outcomes) == ["accepted", "accepted"]
