"""The submissions warehouse of the submission monitoring tests, loaded from real files
(see tests/dashboard/data/test_submissions_warehouse.py for what it holds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files

P23, P24 = "2023/24", "2024/25"
# (tests/conftest.py has the same helpers, but inside tests/dashboard "conftest" names that folder's own)
HEADER = (
    "institution_code,reporting_period,offering_id,title,mc_type,delivery_mode,credit_status,credits,"
    "partner_categories,continuing_education,duration_hours,assessment,enrolments,completions"
)


def offering_row(
    inst="BCIT",
    period=P24,
    oid="A1",
    title="Intro to Python",
    mc_type="technical_skill",
    delivery="online",
    credit="non_credit",
    partners="employer_industry",
    hours="40",
    assessment="yes",
    enrolments="20",
    completions="15",
) -> str:
    return ",".join(
        [
            inst,
            period,
            oid,
            title,
            mc_type,
            delivery,
            credit,
            "",
            partners,
            "yes",
            hours,
            assessment,
            enrolments,
            completions,
        ]
    )


def csv_file(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


DEADLINES = '[deadlines]\n"2023/24" = 2024-06-30\n"2024/25" = 2099-06-30\n'


def build(folder: Path) -> Settings:
    data = folder / "data"
    data.mkdir(parents=True)
    shutil.copy(DEFAULT_DATA_DIR / "institutions.csv", data / "institutions.csv")
    (data / "deadlines.toml").write_text(DEADLINES, encoding="utf-8")
    settings = Settings(db_path=folder / "warehouse.duckdb", data_dir=data)
    files = folder / "files"
    files.mkdir()

    def load(names_rows, allow_partial=False):
        paths = [csv_file(files, name, rows) for name, rows in names_rows]
        return {o.file: o.status for o in load_files(paths, settings, allow_partial=allow_partial)}

    first = load(
        [
            ("bcit_2024-25_draft.csv", [offering_row("BCIT", P24, "D1", partners="none")]),
            ("bcit_2023-24.csv", [offering_row("BCIT", P23, "B1")]),
            ("sfu_2024-25.csv", [offering_row("SFU", P24, "S1"), offering_row("SFU", P24, "S2", title="Second")]),
        ]
    )
    assert first == {
        "bcit_2024-25_draft.csv": "accepted",
        "bcit_2023-24.csv": "accepted",
        "sfu_2024-25.csv": "accepted",
    }
    second = load(
        [
            (
                "bcit_2024-25.csv",
                [
                    offering_row("BCIT", P24, "B1", hours="300"),
                    offering_row("BCIT", P24, "B2", title="Two", assessment="no"),
                    offering_row("BCIT", P24, "B3", title="Three", partners="none"),
                ],
            ),
            (
                "cam_2024-25.csv",
                [
                    offering_row("CAM", P24, "C1", mc_type="=SUM(1+1)"),
                    offering_row("CAM", P24, "C2", title="Two", delivery="@cmd"),
                ],
            ),
            ("sfu_2024-25_fix.csv", [offering_row("SFU", P24, "S1", enrolments="-5")]),
        ]
    )
    assert second == {"bcit_2024-25.csv": "accepted", "cam_2024-25.csv": "rejected", "sfu_2024-25_fix.csv": "rejected"}
    third = load(
        [
            (
                "ubc_2024-25.csv",
                [
                    offering_row("UBC", P24, "U1"),
                    offering_row("UBC", P24, "U2", title="Two"),
                    offering_row("UBC", P24, "U3", title="Three", enrolments="5", completions="9"),
                ],
            )
        ],
        allow_partial=True,
    )
    assert third == {"ubc_2024-25.csv": "partial"}
    return settings


@pytest.fixture(scope="session")
def submissions_warehouse(tmp_path_factory) -> Settings:
    return build(tmp_path_factory.mktemp("submissions"))
