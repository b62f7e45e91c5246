"""How long /submit takes to show the check of an uploaded file: the upload kept as a draft,
checked in the child process (mcred.portal check: etl.check + edit checks) and stored.

python scripts/bench_submit.py [--rows 5000] [--repeat 5]

Builds a warehouse from the bundled sample in a temporary folder, writes one institution's
file of --rows offerings for the year after the sample's last, and times Portal.upload (what
the upload callback runs) --repeat times. The target is 3 s for 5,000 rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.access.actor import Actor  # noqa: E402
from dashboard.submitting.service import Portal  # noqa: E402
from etl.config import SAMPLE_DIR, settings  # noqa: E402
from etl.load import load_files  # noqa: E402

HEADER = (
    "institution_code,reporting_period,offering_id,title,mc_type,delivery_mode,credit_status,credits,"
    "partner_categories,continuing_education,duration_hours,assessment,ladders_to_credential,field_of_study,"
    "ministry_funded,enrolments,completions"
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "warehouse.duckdb"
        load_files([SAMPLE_DIR], settings(db))
        lines = [HEADER]
        for n in range(1, args.rows + 1):
            hours = 300 if n % 97 == 0 else 40
            lines.append(
                f"BCIT,2026/27,M{n},Micro-credential {n},technical_skill,online,non_credit,,employer_industry,"
                f"yes,{hours},yes,no,math_computer_science,no,{10 + n % 20},{5 + n % 10}"
            )
        content = ("\n".join(lines) + "\n").encode()
        portal = Portal(db)
        lee = Actor(role="institution", email="lee@bcit.ca", institution="BCIT")
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            draft = portal.upload(lee, "bcit_2026-27.csv", content)
            times.append(time.perf_counter() - start)
        print(
            f"{args.rows:,} rows ({len(content) / 1024:,.0f} KB): upload + check + store median "
            f"{statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s over {args.repeat} "
            f"({draft.errors} errors, {draft.warnings} warnings, {len(draft.edit_checks)} edit checks)"
        )


if __name__ == "__main__":
    main()
