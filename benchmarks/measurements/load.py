"""Loading submissions: ``mcred load`` against DuckDB reading the same CSV into a table."""

from __future__ import annotations

from benchmarks import data
from benchmarks.process import interleaved, max_peak_mb, median_cpu_seconds, median_seconds, python, remove
from benchmarks.registry import Context, Result, measurement

# Bare DuckDB: read the CSV into a table of a fresh database file, in its own process.
FLOOR_SCRIPT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
files = sys.argv[2:]  # several files: read_csv of the list, as one table
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [files if len(files) > 1 else files[0]])
con.close()
"""


@measurement(
    "load_csv",
    "mcred load of one CSV submission (one institution and period, all rows valid) "
    "vs CREATE TABLE AS SELECT * FROM read_csv",
    max_ratio=3.0,
    max_peak_mb=1500,
)
def load_csv(ctx: Context) -> Result:
    return _load(ctx, data.single_submission(ctx.work_dir, ctx.offerings, ctx.seed))


@measurement(
    "load_csv_untidy",
    "the same submission written as people do (spaces around cells, upper-case codes, "
    "hour units, thousands separators, '; ' and ', ' lists) vs read_csv of that file",
    max_ratio=3.0,
    max_peak_mb=1500,
)
def load_csv_untidy(ctx: Context) -> Result:
    return _load(ctx, data.untidy_submission(ctx.work_dir, ctx.offerings, ctx.seed))


@measurement(
    "load_many_submissions",
    "mcred load of one CSV holding 125 submissions (25 institutions x 5 fiscal "
    "years, rows shuffled, the 13 required columns) vs read_csv of that file",
    max_ratio=3.0,
    max_peak_mb=1500,
)
def load_many_submissions(ctx: Context) -> Result:
    return _load(ctx, data.many_submissions(ctx.work_dir, ctx.offerings, ctx.seed))


@measurement(
    "load_many_submissions_sorted",
    "the same rows sorted by institution and fiscal year vs read_csv of that file",
    max_ratio=3.0,
    max_peak_mb=1500,
)
def load_many_submissions_sorted(ctx: Context) -> Result:
    return _load(ctx, data.many_submissions(ctx.work_dir, ctx.offerings, ctx.seed, "sorted"))


@measurement(
    "load_many_files",
    "the same rows as 125 files (one submission each) in one mcred load vs read_csv of the 125 files",
    max_ratio=3.0,
    max_peak_mb=1500,
)
def load_many_files(ctx: Context) -> Result:
    return _load(ctx, data.many_files(ctx.work_dir, ctx.offerings, ctx.seed))


def _load(ctx: Context, csv) -> Result:
    ours_db, floor_db = ctx.work_dir / "load_ours.duckdb", ctx.work_dir / "load_floor.duckdb"
    files = sorted(csv.glob("*.csv")) if csv.is_dir() else [csv]
    ours, floor = interleaved(
        ctx.repeat,
        (remove(ours_db), python("-m", "mcred.cli", "load", str(csv), "--db", str(ours_db))),
        (remove(floor_db), python("-c", FLOOR_SCRIPT, str(floor_db), *map(str, files))),
    )
    failed = [r for r in ours if r.exit_code != 0] + [r for r in floor if r.exit_code != 0]
    size = sum(f.stat().st_size for f in files)
    note = (
        f"{ctx.offerings:,} rows in {len(files)} file{'s' if len(files) > 1 else ''}, {size / 1e6:.0f} MB; floor peak {max_peak_mb(floor):.0f} MB; "
        f"CPU s ours {median_cpu_seconds(ours):.1f}, floor {median_cpu_seconds(floor):.1f}"
    )
    if failed:
        note += f"; FAILED (exit {failed[0].exit_code}): {failed[0].stderr.strip().splitlines()[-1:]}"
    return Result(median_seconds(ours), median_seconds(floor), max_peak_mb(ours), note)
