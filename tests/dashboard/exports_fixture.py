"""The explorer and export tests' warehouse: offerings with hostile titles, loaded from a CSV
written here (tests/dashboard/exports/test_exports.py and pages/test_explore.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from dashboard.app import create_app
from dashboard.settings import DashboardSettings
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from etl.spec import COLUMN_NAMES

COLUMNS = COLUMN_NAMES  # the submission format's columns, in their order

# Titles a spreadsheet would run, and one a browser would run.
HOSTILE = {
    "F1": '=HYPERLINK("http://example.com/x","click")',
    "F2": "+1+2",
    "F3": "-5 ways to win",
    "F4": "@SUM(A1:A2)",
    "F5": "<script>alert(1)</script><b>x</b>",
}


def _row(
    inst,
    period,
    oid,
    title,
    mc_type="technical_skill",
    delivery="online",
    credit="non_credit",
    credits="",
    partners="employer_industry",
    ce="yes",
    hours="40",
    assessment="yes",
    enrolments="20",
    completions="10",
    **extra,
) -> dict:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        institution_code=inst,
        reporting_period=period,
        offering_id=oid,
        title=title,
        mc_type=mc_type,
        delivery_mode=delivery,
        credit_status=credit,
        credits=credits,
        partner_categories=partners,
        continuing_education=ce,
        duration_hours=hours,
        assessment=assessment,
        enrolments=enrolments,
        completions=completions,
    )
    row.update(extra)
    return row


ROWS = [
    _row(
        "BCIT",
        "2024/25",
        "B1",
        "Intro to Python",
        recognition="digital_badge",
        field_of_study="math_computer_science",
        ministry_funded="yes",
        competencies="write scripts; test them",
        noc_codes="21232",
        tuition_cad="450.5",
        start_date="2024-09-01",
        end_date="2024-12-15",
        ladders_to_credential="yes",
        prior_learning_recognition="no",
    ),
    _row(
        "BCIT",
        "2024/25",
        "B2",
        "Welding safety, level 1",
        mc_type="upskilling",
        delivery="onsite",
        credit="credit",
        credits="3",
        partners="employer_industry;professional_body",
        ce="no",
        hours="300",
        assessment="no",
        field_of_study="engineering_architecture",
    ),
    _row("BCIT", "2024/25", "F1", HOSTILE["F1"], competencies="=cmd|' /C calc'!A0"),
    _row("BCIT", "2024/25", "F2", HOSTILE["F2"], partners="none"),
    _row("CAM", "2024/25", "F3", HOSTILE["F3"], mc_type="teaser", delivery="blended", partners="community"),
    _row("CAM", "2024/25", "F4", HOSTILE["F4"], partners="indigenous_community;government", ce="no"),
    _row("CAM", "2024/25", "F5", HOSTILE["F5"], field_of_study="health"),
    _row(
        "CAM",
        "2024/25",
        "C1",
        'Métis "land-based" learning — café',
        partners="indigenous_community",
        field_of_study="education",
        enrolments="0",
        completions="0",
    ),
    _row(
        "UBC",
        "2024/25",
        "U1",
        "Data ethics",
        mc_type="pathway",
        credit="credit",
        credits="1.5",
        partners="other_institution",
        ce="no",
        field_of_study="social_sciences_law",
    ),
    _row("UBC", "2023/24", "U0", "Data ethics (pilot)", mc_type="pathway", partners="community", ce="no"),
    _row(
        "CAM", "2023/24", "C0", "Care aide refresher", mc_type="upskilling", delivery="onsite", field_of_study="health"
    ),
]
SUPERSEDED = [_row("UBC", "2024/25", "OLD", "Superseded draft")]


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def build(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(db_path=folder / "warehouse.duckdb", data_dir=DEFAULT_DATA_DIR)
    first = load_files([write_csv(folder / "ubc_draft.csv", SUPERSEDED)], settings)
    outcomes = load_files([write_csv(folder / "offerings.csv", ROWS)], settings)
    assert [o.status for o in first + outcomes] == ["accepted"] * 6, [o.issues for o in outcomes]
    return settings.db_path


def make_app(db_path: Path):
    """An app that takes its own page callbacks at once (see tests/dashboard/conftest.py make_app)."""
    app = create_app(DashboardSettings(db_path))
    assert app.server.test_client().get("/_dash-dependencies").status_code == 200
    return app


def explore_page():
    """dashboard/pages/explore.py as Dash imported it (a direct import would register the page again)."""
    import sys

    import dash

    (name,) = [n for n, page in dash.page_registry.items() if page["path"] == "/explore"]
    return sys.modules[name]
