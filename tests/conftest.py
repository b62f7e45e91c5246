"""Shared fixtures. Every database is built in tmp_path from committed text or files
written by the test itself; nothing touches data/microcredentials.duckdb."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from submission_files import HEADER, csv_file, offering_row  # noqa: F401 - re-exported for old imports

from etl.config import DEFAULT_DATA_DIR, Settings

os.environ.setdefault("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")


def pytest_setup_options():
    """Chromium flags for dash_duo: quiet and offline on CI machines, runs as root."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in (
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1366,768",
    ):
        options.add_argument(flag)
    options.binary_location = os.environ["DASH_TEST_CHROMEPATH"]
    return options


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh warehouse in tmp_path, with the committed reference data."""
    return Settings(db_path=tmp_path / "warehouse.duckdb", data_dir=DEFAULT_DATA_DIR)
