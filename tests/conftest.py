"""Shared fixtures. Every database is built in tmp_path from committed text or files
written by the test itself; nothing touches data/microcredentials.duckdb."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from submission_files import HEADER, csv_file, offering_row  # noqa: F401 - re-exported for old imports

from etl.config import DEFAULT_DATA_DIR, Settings

os.environ.setdefault("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")


def pytest_configure(config):
    """dash_duo serves each app on the next of its ports (58050, 58051, ...), counted per process:
    two test processes at once (pytest-xdist workers, or two checkouts on one machine) would take
    the same ports. Each starts from its own base: MCRED_TEST_PORT, else 58050 plus 500 per worker."""
    from dash.testing.application_runners import BaseDashRunner

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base = os.environ.get("MCRED_TEST_PORT") or 58050 + 500 * int(worker.removeprefix("gw") or 0)
    BaseDashRunner._next_port = int(base)  # noqa: SLF001 - dash.testing keeps no public setting for it


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
