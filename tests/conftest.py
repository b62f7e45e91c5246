"""Shared fixtures. Every database is built in tmp_path from committed text or files
written by the test itself; nothing touches data/microcredentials.duckdb."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from etl.config import DEFAULT_DATA_DIR, Settings

os.environ.setdefault("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")

HEADER = ("institution_code,reporting_period,offering_id,title,mc_type,delivery_mode,credit_status,credits,"
          "partner_categories,continuing_education,duration_hours,assessment,enrolments,completions")


def pytest_setup_options():
    """Chromium flags for dash_duo: quiet and offline on CI machines, runs as root."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1366,768"):
        options.add_argument(flag)
    options.binary_location = os.environ["DASH_TEST_CHROMEPATH"]
    return options


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh warehouse in tmp_path, with the committed reference data."""
    return Settings(db_path=tmp_path / "warehouse.duckdb", data_dir=DEFAULT_DATA_DIR)


def csv_file(tmp_path: Path, name: str, rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> Path:
    """Write a small submission CSV (header + rows) and return its path."""
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def offering_row(inst="BCIT", period="2024/25", oid="A1", title="Intro to Python", mc_type="technical_skill",
                 delivery="online", credit="non_credit", credits="", partners="employer_industry", ce="yes",
                 hours="40", assessment="yes", enrolments="20", completions="15") -> str:
    """One CSV row in HEADER's column order; every argument overridable."""
    return ",".join([inst, period, oid, title, mc_type, delivery, credit, credits, partners, ce, hours,
                     assessment, enrolments, completions])
