"""Reading an .xlsx submission: ``read_xlsx``.

The workbook is the 200,000-row, 24-column submission of ``benchmarks.data`` saved by
LibreOffice (``soffice --headless --convert-to xlsx``, shared strings and typed numbers,
as a spreadsheet program writes it), read by ``etl.readers.read_submission_file`` in its
own process (time to the raw table, interpreter start left out). The floor is the same
reader on the same rows as CSV.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks import data
from benchmarks.process import python, run_process
from benchmarks.registry import Context, Result, measurement

ROWS = 200_000

READ = """
import json, sys, time
from pathlib import Path
from etl import readers
start = time.perf_counter()
raw = readers.read_submission_file(Path(sys.argv[1]))
took = time.perf_counter() - start
Path(sys.argv[2]).write_text(json.dumps({"seconds": took, "rows": raw.table.num_rows,
                                         "columns": len(raw.columns)}))
"""


def libreoffice_workbook(work_dir: Path, rows: int, seed: int) -> Path:
    """The CSV submission of ``rows`` rows saved as .xlsx by LibreOffice (once, then reused)."""
    csv = data.single_submission(work_dir, rows, seed)
    path = work_dir / f"libreoffice_{rows}_{seed}.xlsx"
    if path.exists():
        return path
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("needs LibreOffice to write the workbook: make system-deps")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                "xlsx",
                "--outdir",
                tmp,
                str(csv),
            ],
            check=True,
            capture_output=True,
            timeout=1800,
        )
        os.replace(Path(tmp) / f"{csv.stem}.xlsx", path)
    return path


def _read(path: Path) -> tuple[float, float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        run = run_process(python("-c", READ, str(path), str(report)))
        if run.exit_code != 0:
            raise RuntimeError(f"reading {path.name} failed: {run.stderr.strip()[-500:]}")
        facts = json.loads(report.read_text())
        return facts["seconds"], run.peak_mb, facts


@measurement(
    "read_xlsx",
    "etl.readers.read_submission_file of a 200,000-row, 24-column .xlsx saved by LibreOffice "
    "vs the same reader on the same rows as CSV",
    max_seconds=5.0,
    max_peak_mb=1000,
)
def read_xlsx(ctx: Context) -> Result:
    workbook = libreoffice_workbook(ctx.work_dir, ROWS, ctx.seed)
    csv = data.single_submission(ctx.work_dir, ROWS, ctx.seed)
    ours, floors, peaks, facts = [], [], [], {}
    for _ in range(ctx.repeat):
        seconds, peak, facts = _read(workbook)
        ours.append(seconds)
        peaks.append(peak)
        floors.append(_read(csv)[0])
    ours.sort()
    floors.sort()
    return Result(
        ours[len(ours) // 2],
        floors[len(floors) // 2],
        max(peaks),
        f"{facts['rows']:,} rows x {facts['columns']} columns, {workbook.stat().st_size / 1e6:.0f} MB",
    )
