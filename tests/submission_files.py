"""Small submission files for tests: a CSV header and rows in its column order.

Imported as ``from submission_files import ...`` (pytest puts tests/ on sys.path); a
module of its own because ``from conftest import`` is ambiguous when test folders
have conftest files of their own.
"""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "institution_code,reporting_period,offering_id,title,mc_type,delivery_mode,credit_status,credits,"
    "partner_categories,continuing_education,duration_hours,assessment,enrolments,completions"
)


def csv_file(tmp_path: Path, name: str, rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> Path:
    """Write a small submission CSV (header + rows) and return its path."""
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def offering_row(
    inst="BCIT",
    period="2024/25",
    oid="A1",
    title="Intro to Python",
    mc_type="technical_skill",
    delivery="online",
    credit="non_credit",
    credits="",
    partners="employer_industry",
    ce="yes",
    hours="40",
    assessment="yes",
    enrolments="20",
    completions="15",
) -> str:
    """One CSV row in HEADER's column order; every argument overridable."""
    return ",".join(
        [
            inst,
            period,
            oid,
            title,
            mc_type,
            delivery,
            credit,
            credits,
            partners,
            ce,
            hours,
            assessment,
            enrolments,
            completions,
        ]
    )
