"""``python -m benchmarks``: run the measurements and print one table."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from benchmarks.registry import Context, Measurement, Result, discover

WORK_DIR = Path(__file__).resolve().parent / "work"
DEFAULT_OFFERINGS = 1_000_000


def main(argv: list[str] | None = None) -> int:
    measurements = discover()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--offerings",
        type=int,
        default=DEFAULT_OFFERINGS,
        metavar="N",
        help=f"scale of the generated data (default {DEFAULT_OFFERINGS:,})",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=sorted(measurements),
        metavar="NAME",
        help=f"run only these ({', '.join(sorted(measurements))})",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timings per measurement; the median is reported")
    args = parser.parse_args(argv)
    if args.offerings < 1 or args.repeat < 1:
        parser.error("--offerings and --repeat must be at least 1")

    ctx = Context(offerings=args.offerings, repeat=args.repeat, work_dir=WORK_DIR)
    chosen = [measurements[name] for name in (args.only or sorted(measurements))]
    rows: list[tuple[Measurement, Result | str]] = []
    for m in chosen:
        print(f"running {m.name}: {m.description}", file=sys.stderr, flush=True)
        outcome = run_one(m, ctx)
        rows.append((m, outcome))
        print(format_table([rows[-1]]).splitlines()[-1], file=sys.stderr, flush=True)  # the row, as soon as known
    print(format_table(rows))
    # Timings on a shared machine are only as good as its idleness: say how busy it was.
    load1, _, _ = os.getloadavg()
    print(
        f"\n{os.cpu_count()} CPUs; load average {load1:.1f} at the end (above {os.cpu_count()} means other work "
        "competed for the CPUs and the timings are inflated)"
    )
    return 1 if any(isinstance(r, str) or m.missed_bars(r) for m, r in rows) else 0


def run_one(m: Measurement, ctx: Context) -> Result | str:
    """The measurement's result, or what went wrong: one broken measurement does not lose the others."""
    try:
        return m.run(ctx)
    except Exception as exc:  # noqa: BLE001 - reported in the table, the run goes on
        traceback.print_exc(file=sys.stderr)
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]


def format_table(rows: list[tuple[Measurement, Result | str]]) -> str:
    header = ("measurement", "ours s", "floor s", "ratio", "peak MB", "bars", "verdict", "note")
    lines = [header]
    for m, r in rows:
        if isinstance(r, str):
            lines.append((m.name, "-", "-", "-", "-", m.bars(), "ERROR", r))
            continue
        missed = m.missed_bars(r)
        lines.append(
            (
                m.name,
                f"{r.ours_seconds:.2f}",
                "-" if r.floor_seconds is None else f"{r.floor_seconds:.2f}",
                "-" if r.ratio is None else f"{r.ratio:.2f}x",
                "-" if r.peak_mb is None else f"{r.peak_mb:.0f}",
                m.bars(),
                "MISSED: " + "; ".join(missed) if missed else "ok",
                r.note,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1] for line in lines)


if __name__ == "__main__":
    sys.exit(main())
