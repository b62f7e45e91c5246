"""Generated inputs, written once into the work folder and reused by later runs."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from etl.sample import write_submission


def single_submission(work_dir: Path, rows: int, seed: int) -> Path:
    """One valid CSV submission (one institution, one fiscal year) of ``rows`` offerings."""
    path = work_dir / f"submission_{rows}_{seed}.csv"
    if not path.exists():
        work_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        write_submission(partial, offerings=rows, seed=seed)
        os.replace(partial, path)  # a run interrupted mid-write never leaves a truncated input
    return path


# How people write the same values in real spreadsheets: white space around cells,
# upper-case codes, '; ' between partner categories, hours with a unit, thousands
# separators, ', ' between NOC codes. Every value stays valid.
_UNTIDY = {
    "title": "' ' || title",
    "mc_type": "upper(mc_type)",
    "partner_categories": "replace(partner_categories, ';', '; ')",
    "duration_hours": "duration_hours || ' h'",
    "noc_codes": "replace(noc_codes, ';', ', ')",
    "enrolments": "CASE WHEN enrolments::BIGINT >= 1000 THEN format('{:,}', enrolments::BIGINT) ELSE enrolments END",
    "tuition_cad": "CASE WHEN tuition_cad::DOUBLE >= 1000 THEN format('{:,}', tuition_cad::BIGINT) ELSE tuition_cad END",
}


def untidy_submission(work_dir: Path, rows: int, seed: int) -> Path:
    """The same submission as :func:`single_submission`, written untidily (see _UNTIDY)."""
    tidy = single_submission(work_dir, rows, seed)
    path = work_dir / f"untidy_{rows}_{seed}.csv"
    if not path.exists():
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        con = duckdb.connect()
        try:
            columns = [
                row[0]
                for row in con.execute("DESCRIBE SELECT * FROM read_csv(?, all_varchar = true)", [str(tidy)]).fetchall()
            ]
            select = ", ".join(f"{_UNTIDY.get(c, c)} AS {c}" for c in columns)
            con.execute(
                f"COPY (SELECT {select} FROM read_csv(?, all_varchar = true)) TO '{partial}' (HEADER)", [str(tidy)]
            )
        finally:
            con.close()
        os.replace(partial, path)
    return path


# --- many submissions: 25 institutions x 5 fiscal years --------------------------------

MANY_YEARS = (2021, 2022, 2023, 2024, 2025)


def _institution_codes() -> list[str]:
    from etl.config import DEFAULT_DATA_DIR
    from etl.reference import read_institutions

    return [inst.code for inst in read_institutions(DEFAULT_DATA_DIR / "institutions.csv")]


def many_submissions(work_dir: Path, rows: int, seed: int, order: str = "shuffled") -> Path:
    """One CSV of ``rows`` offerings holding 125 submissions (every institution x 5 fiscal
    years, the same number of rows each), the 13 required columns only; ``order`` is
    ``shuffled`` (rows in any order) or ``sorted`` (by institution and year)."""
    from etl import spec

    assert order in ("shuffled", "sorted")
    path = work_dir / f"many_{order}_{rows}_{seed}.csv"
    if path.exists():
        return path
    work_dir.mkdir(parents=True, exist_ok=True)
    parts = work_dir / f".many_parts_{rows}_{seed}"
    parts.mkdir(exist_ok=True)
    codes = _institution_codes()
    pairs = [(code, year) for code in codes for year in MANY_YEARS]
    per_pair = max(1, rows // len(pairs))
    files = []
    for n, (code, year) in enumerate(pairs):
        part = parts / f"{code}_{year}.csv"
        if not part.exists():
            tmp = part.with_name(f".{part.name}.{os.getpid()}")
            write_submission(tmp, institution_code=code, year=year, offerings=per_pair, seed=seed + n)
            os.replace(tmp, part)
        files.append(str(part))
    columns = ", ".join(spec.REQUIRED_COLUMNS)
    shuffle = f"hash(filename, offering_id, {seed})" if order == "shuffled" else "filename, offering_id"
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"""
            COPY (SELECT {columns} FROM read_csv(?, all_varchar = true, filename = true) ORDER BY {shuffle})
            TO '{partial}' (HEADER)
        """,
            [files],
        )
    finally:
        con.close()
    os.replace(partial, path)
    return path


def many_files(work_dir: Path, rows: int, seed: int) -> Path:
    """The rows of :func:`many_submissions` (shuffled) as 125 files, one per submission, in a folder."""
    source = many_submissions(work_dir, rows, seed)
    folder = work_dir / f"many_files_{rows}_{seed}"
    if folder.exists():
        return folder
    partial = folder.with_name(f".{folder.name}.{os.getpid()}")
    partial.mkdir()
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        keys = con.execute(
            "SELECT DISTINCT institution_code, reporting_period FROM read_csv(?, all_varchar = true) ORDER BY ALL",
            [str(source)],
        ).fetchall()
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true)", [str(source)])
        for code, period in keys:
            out = partial / f"{code}_{period.replace('/', '-')}.csv"
            con.execute(
                f"COPY (SELECT * FROM t WHERE institution_code = ? AND reporting_period = ?) TO '{out}' (HEADER)",
                [code, period],
            )
    finally:
        con.close()
    os.replace(partial, folder)
    return folder


def mostly_errors(work_dir: Path, rows: int, seed: int) -> Path:
    """``rows`` rows of :func:`many_submissions` of which most carry errors: the rows of about
    two institutions in three get a wrong code, completions over enrolments, a word for a
    number, a missing value or a repeated offering_id; a few name an unknown institution or
    a malformed fiscal year (submissions of their own). The other institutions stay clean."""
    source = many_submissions(work_dir, rows, seed)
    path = work_dir / f"errors_{rows}_{seed}.csv"
    if path.exists():
        return path
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    h = f"hash(offering_id, institution_code, reporting_period, {seed}) % 100"
    bad = f"(hash(institution_code, {seed}) % 3 <> 0)"
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"""
            COPY (
                SELECT
                    CASE WHEN {bad} AND {h} = 97 THEN 'NOPE' ELSE institution_code END AS institution_code,
                    CASE WHEN {bad} AND {h} = 98 THEN '2024/26' ELSE reporting_period END AS reporting_period,
                    CASE WHEN {bad} AND {h} BETWEEN 90 AND 94 THEN 'DUP-1' ELSE offering_id END AS offering_id,
                    title,
                    CASE WHEN {bad} AND {h} < 50 THEN 'certificate-ish' ELSE mc_type END AS mc_type,
                    delivery_mode, credit_status,
                    CASE WHEN {bad} AND {h} BETWEEN 50 AND 54 THEN 'none;employer_industry'
                         ELSE partner_categories END AS partner_categories,
                    continuing_education,
                    CASE WHEN {bad} AND {h} BETWEEN 55 AND 59 THEN '' ELSE duration_hours END AS duration_hours,
                    assessment,
                    CASE WHEN {bad} AND {h} BETWEEN 60 AND 69 THEN 'many' ELSE enrolments END AS enrolments,
                    CASE WHEN {bad} AND {h} BETWEEN 70 AND 84 THEN (enrolments::BIGINT + 5)::VARCHAR
                         ELSE completions END AS completions
                FROM read_csv(?, all_varchar = true) LIMIT {rows}
            ) TO '{partial}' (HEADER)
        """,
            [str(source)],
        )
    finally:
        con.close()
    os.replace(partial, path)
    return path
