"""Issue #14's bar for hostile workbooks: a batch holding each of them beside a valid file exits
1, loads the valid file, stays under 1.5 GB of memory, prints no traceback and ends within a
minute. Run as the console script in its own process; memory is the process tree's peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from hostile_workbooks import (
    declared_huge,
    far_cell,
    many_shared_references,
    shared_string_bomb,
    wide_csv,
    wide_header,
)
from submission_files import csv_file, offering_row

from etl.warehouse import read_only

MCRED = Path(sys.executable).with_name("mcred")

# Runs the command and reports the peak RSS of the largest process below it (the loader and every
# reader child it waited for), as getrusage counts it.
RUNNER = """
import json, resource, subprocess, sys, time
start = time.monotonic()
run = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": run.returncode, "out": run.stdout, "err": run.stderr, "peak_mb": peak,
                  "seconds": time.monotonic() - start}))
"""


def test_a_batch_of_every_hostile_workbook_beside_a_valid_file(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    hostile = {
        "a-xfd1048576.xlsx": far_cell(batch / "a-xfd1048576.xlsx", "XFD1048576"),
        "b-xfd2000.xlsx": far_cell(batch / "b-xfd2000.xlsx", "XFD2000"),
        "c-a1048576.xlsx": far_cell(batch / "c-a1048576.xlsx", "A1048576"),
        "d-shared-string-bomb.xlsx": shared_string_bomb(batch / "d-shared-string-bomb.xlsx"),
        "e-shared-references.xlsx": many_shared_references(batch / "e-shared-references.xlsx"),
        "f-declared.xlsx": declared_huge(batch / "f-declared.xlsx"),
        "g-wide.xlsx": wide_header(batch / "g-wide.xlsx", 5_000),
        "h-200000-columns.csv": wide_csv(batch / "h-200000-columns.csv"),
    }
    csv_file(batch, "z-valid.csv", [offering_row(inst="UBC", oid=f"V{i}") for i in range(5)])
    db = tmp_path / "warehouse.duckdb"
    env = {k: v for k, v in os.environ.items() if k not in ("MCRED_DB", "MCRED_DEBUG")}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(MCRED), "load", str(batch), "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    took = time.monotonic() - start
    report = json.loads(done.stdout)
    print(f"hostile batch: exit {report['code']}, {report['seconds']:.1f} s, peak RSS {report['peak_mb']:.0f} MB")
    assert report["code"] == 1, report["err"]
    assert "Traceback" not in report["err"] + report["out"]
    assert report["peak_mb"] < 1_500
    assert took < 60
    outcomes = {s["file"]: s for s in json.loads(report["out"])["submissions"]}
    assert outcomes["z-valid.csv"]["status"] == "accepted"
    for name in hostile:
        assert outcomes[name]["status"] == "rejected", name
        [issue] = [i for i in outcomes[name]["issues"] if i["severity"] == "error"]
        assert "at most" in issue["message"] or "more than" in issue["message"], issue
    with read_only(db) as con:
        assert con.execute("SELECT count(*) FROM current_offerings WHERE institution_code = 'UBC'").fetchone() == (5,)
    # No private copy of the warehouse and no reader's folder left behind (the lock file stays).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch", "warehouse.duckdb", "warehouse.duckdb.lock"]
