"""Generating the synthetic sample at scale (``mcred sample --offerings N``). There is no
DuckDB floor for this work; the bar is the absolute one the sample promises (2,000,000
offerings in under a minute and 2 GB)."""

from __future__ import annotations

import shutil

from benchmarks.process import max_peak_mb, median_seconds, python, repeated
from benchmarks.registry import Context, Result, measurement


@measurement(
    "sample", "mcred sample --offerings N (the whole provincial picture, ~120 files)", max_seconds=60, max_peak_mb=2000
)
def sample(ctx: Context) -> Result:
    out = ctx.work_dir / "sample_out"

    def clean() -> None:
        shutil.rmtree(out, ignore_errors=True)

    runs = repeated(
        ctx.repeat,
        clean,
        python(
            "-m", "mcred.cli", "sample", "--out", str(out), "--offerings", str(ctx.offerings), "--seed", str(ctx.seed)
        ),
    )
    files = sorted(out.iterdir()) if out.exists() else []
    note = f"{ctx.offerings:,} offerings, {len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.0f} MB"
    if any(r.exit_code != 0 for r in runs):
        note += f"; FAILED: {runs[0].stderr.strip().splitlines()[-1:]}"
    return Result(median_seconds(runs), None, max_peak_mb(runs), note)
