"""Issue #14, item 2: the default view (no period in the URL) is the latest fiscal year that has a
deadline in deadlines.toml and data, so a one-row file for 2099/00 never becomes every user's
default. The far-future year gets into the warehouse the way it can today: loaded while the
deadlines file named it, then dropped from the file (the next load copies the file again)."""

from __future__ import annotations

import shutil
from pathlib import Path

from submission_files import csv_file, offering_row

from dashboard.data import reference
from dashboard.data.database import Database
from dashboard.data.filters import Filters
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files


def _data_dir(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("institutions.csv", "targets.toml"):
        shutil.copy(DEFAULT_DATA_DIR / name, folder / name)
    (folder / "deadlines.toml").write_text((DEFAULT_DATA_DIR / "deadlines.toml").read_text() + extra)
    return folder


def _vocabulary(db: Path):
    return reference.vocabulary(Database(db).reader())


def test_a_far_future_period_with_data_is_not_the_default(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    future = Settings(db_path=db, data_dir=_data_dir(tmp_path / "future", '"2099/00" = 2100-06-30\n'))
    files = [
        csv_file(tmp_path, "now.csv", [offering_row(inst="BCIT", period="2024/25")]),
        csv_file(tmp_path, "future.csv", [offering_row(inst="UBC", period="2099/00")]),
    ]
    assert [o.status for o in load_files(files, future)] == ["accepted", "accepted"]
    # While the deadlines name 2099/00, it is a collected year with data: the latest one.
    assert _vocabulary(db).latest_period == "2099/00"

    # The deadlines file without 2099/00 again: the next load copies it into the warehouse.
    load_files([], Settings(db_path=db, data_dir=_data_dir(tmp_path / "normal")))
    vocab = _vocabulary(db)
    assert vocab.codes("period") == ["2024/25", "2099/00"]  # still there, and still selectable
    assert vocab.latest_period == "2024/25"
    filters, problems = Filters.parse("", vocab)
    assert (filters.period, problems) == (("2024/25",), [])
    assert Filters.parse("period=2099/00", vocab)[0].period == ("2099/00",)


def test_with_no_year_that_has_a_deadline_the_latest_with_data_is_the_default(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    settings = Settings(db_path=db, data_dir=_data_dir(tmp_path / "all"))
    load_files([csv_file(tmp_path, "a.csv", [offering_row(period="2023/24")])], settings)
    data = tmp_path / "none"
    _data_dir(data)
    (data / "deadlines.toml").write_text("[deadlines]\n")
    load_files([], Settings(db_path=db, data_dir=data))
    assert _vocabulary(db).latest_period == "2023/24"
