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
            columns = [row[0] for row in con.execute("DESCRIBE SELECT * FROM read_csv(?, all_varchar = true)",
                                                     [str(tidy)]).fetchall()]
            select = ", ".join(f"{_UNTIDY.get(c, c)} AS {c}" for c in columns)
            con.execute(f"COPY (SELECT {select} FROM read_csv(?, all_varchar = true)) TO '{partial}' (HEADER)",
                        [str(tidy)])
        finally:
            con.close()
        os.replace(partial, path)
    return path
