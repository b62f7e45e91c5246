"""Loading submissions: ``mcred load`` against DuckDB reading the same CSV into a table."""

from __future__ import annotations

from benchmarks import data
from benchmarks.process import interleaved, max_peak_mb, median_cpu_seconds, median_seconds, python, remove
from benchmarks.registry import Context, Result, measurement

# Bare DuckDB: read the CSV into a table of a fresh database file, in its own process.
FLOOR_SCRIPT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(" + "'" + sys.argv[2].replace("'", "''") + "')")
con.close()
"""


@measurement("load_csv", "mcred load of one CSV submission (one institution and period, all rows valid) "
             "vs CREATE TABLE AS SELECT * FROM read_csv", max_ratio=3.0, max_peak_mb=1500)
def load_csv(ctx: Context) -> Result:
    return _load(ctx, data.single_submission(ctx.work_dir, ctx.offerings, ctx.seed))


@measurement("load_csv_untidy", "the same submission written as people do (spaces around cells, upper-case codes, "
             "hour units, thousands separators, '; ' and ', ' lists) vs read_csv of that file",
             max_ratio=3.0, max_peak_mb=1500)
def load_csv_untidy(ctx: Context) -> Result:
    return _load(ctx, data.untidy_submission(ctx.work_dir, ctx.offerings, ctx.seed))


def _load(ctx: Context, csv) -> Result:
    ours_db, floor_db = ctx.work_dir / "load_ours.duckdb", ctx.work_dir / "load_floor.duckdb"
    ours, floor = interleaved(
        ctx.repeat,
        (remove(ours_db), python("-m", "mcred.cli", "load", str(csv), "--db", str(ours_db))),
        (remove(floor_db), python("-c", FLOOR_SCRIPT, str(floor_db), str(csv))),
    )
    failed = [r for r in ours if r.exit_code != 0] + [r for r in floor if r.exit_code != 0]
    note = (f"{ctx.offerings:,} rows, {csv.stat().st_size / 1e6:.0f} MB; floor peak {max_peak_mb(floor):.0f} MB; "
            f"CPU s ours {median_cpu_seconds(ours):.1f}, floor {median_cpu_seconds(floor):.1f}")
    if failed:
        note += f"; FAILED (exit {failed[0].exit_code}): {failed[0].stderr.strip().splitlines()[-1:]}"
    return Result(median_seconds(ours), median_seconds(floor), max_peak_mb(ours), note)
