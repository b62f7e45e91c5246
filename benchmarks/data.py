"""Generated inputs, written once into the work folder and reused by later runs."""

from __future__ import annotations

import os
from pathlib import Path

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

