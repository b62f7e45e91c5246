"""The ETL side of the dashboard's /submit page, run as a child process of the dashboard.

``dashboard`` never imports ``etl`` (the warehouse file is their only interface), so the
dashboard asks this module, in a fresh process, to do what only the ETL can:

- ``python -m mcred.portal check --db DB FILE``: validate an uploaded draft exactly as
  ``mcred check`` does (``etl.check``: ``mcred load``'s own code, nothing written), plus the
  edit checks across years;
- ``python -m mcred.portal template --out FILE.xlsx``: the submission template (``mcred template``);
- ``python -m mcred.portal accept --db DB --draft-id N ... FILE``: load an accepted draft
  through ``etl.load.load_files``, the same ETL and the same hand-over as ``mcred load``
  (the dashboard keeps serving), linked to its draft and explanations (route 'portal').

Each prints one JSON object on stdout. A child process also keeps the uploaded bytes away
from the web server: a hostile workbook can at worst use up this process's memory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

# At most this many issues of each rule (and severity) are listed in a draft's report; the
# rest are counted in one line, as etl.load stores them.
ISSUES_PER_RULE = 1_000


def check(path: Path, db_path: Path, threshold: float) -> dict[str, Any]:
    """The validation report of one uploaded file: what ``mcred check`` says (``etl.check``, the
    load's own code on a scratch copy, nothing written), with every issue, and the edit checks."""
    import dataclasses

    from etl.check import check_files
    from etl.config import settings as etl_settings

    settings = dataclasses.replace(etl_settings(db_path), edit_threshold=threshold)
    checked = check_files([path], settings)
    submissions = []
    for c in checked:
        o = c.outcome
        submissions.append(
            {
                "institution_code": o.institution_code,
                "reporting_period": o.reporting_period,
                "status": o.status,
                "submission_id": o.submission_id,  # already_loaded: the submission with these bytes
                "supersedes": o.superseded,
                "rows_total": o.rows_accepted + o.rows_rejected,
                "rows_accepted": o.rows_accepted,
                "errors": o.errors,
                "warnings": o.warnings,
                "issues": _capped([dict(i) for i in o.issues]),
            }
        )
    one = [c.submission for c in checked if c.submission is not None]
    checks = _edit_checks(db_path, one[0], threshold) if len(checked) == 1 and len(one) == 1 else []
    sha = checked[0].outcome.sha256 if checked else None
    return {"file": path.name, "sha256": sha, "submissions": submissions, "edit_checks": checks}


def _edit_checks(db_path: Path, submission: Any, threshold: float) -> list[dict[str, Any]]:
    """The edit checks (etl.editchecks) of the file's one submission: against the institution's
    current submission of the year before when the warehouse has one, and the framework rules."""
    from etl import editchecks
    from etl.warehouse import read_only

    if db_path.exists():
        with read_only(db_path) as warehouse:
            found = editchecks.edit_checks(warehouse, submission, threshold=threshold)
    else:
        found = editchecks.edit_checks(None, submission, threshold=threshold)
    return [{"code": c.code, "message": c.message, "rows": list(c.rows)} for c in found]


def _capped(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most ISSUES_PER_RULE of each rule and severity, then one line counting the rest."""
    seen: dict[tuple[str, str], int] = {}
    kept: list[dict[str, Any]] = []
    for issue in issues:
        key = (issue["severity"], issue["rule"] or "")
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= ISSUES_PER_RULE:
            kept.append(issue)
    for (severity, rule), n in seen.items():
        if n > ISSUES_PER_RULE:
            kept.append(
                {
                    "severity": severity,
                    "row": None,
                    "column": None,
                    "value": None,
                    "expected": None,
                    "message": f"... and {n - ISSUES_PER_RULE:,} more {rule} {severity}s like these (the first "
                    f"{ISSUES_PER_RULE:,} are listed)",
                    "rule": rule,
                    "sheet": None,
                }
            )
    return kept


def accept(path: Path, db_path: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Load the accepted draft; the outcome of its one submission."""
    from etl.config import settings as etl_settings
    from etl.load import PortalDraft, load_files

    portal = PortalDraft(
        draft_id=int(request["draft_id"]),
        accepted_by=request.get("accepted_by"),
        submitted_by=request.get("submitted_by"),
        submitted_at=datetime.fromisoformat(request["submitted_at"]) if request.get("submitted_at") else None,
        explanations={str(k): (str(v[0]), str(v[1])) for k, v in (request.get("explanations") or {}).items()},
    )
    outcomes = load_files([path], etl_settings(db_path), issue_limit=0, portal=portal)
    return {"outcomes": [o.as_dict() for o in outcomes]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mcred.portal")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check")
    p.add_argument("--db", required=True)
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("file")
    p = sub.add_parser("template")
    p.add_argument("--out", required=True)
    p = sub.add_parser("accept")
    p.add_argument("--db", required=True)
    p.add_argument("--request", required=True, help="a JSON file: draft_id, accepted_by, submitted_*, explanations")
    p.add_argument("file")
    args = parser.parse_args(argv)
    from etl.load import LoadError
    from etl.reference import ReferenceDataError
    from etl.warehouse import WarehouseError

    try:
        if args.command == "check":
            result = check(Path(args.file), Path(args.db), args.threshold)
        elif args.command == "template":
            from etl.template import write_template

            write_template(Path(args.out))
            result = {"template": args.out}
        else:
            request = json.loads(Path(args.request).read_text(encoding="utf-8"))
            result = accept(Path(args.file), Path(args.db), request)
    except (LoadError, ReferenceDataError, WarehouseError) as exc:
        result = {"error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one line for the dashboard, never a traceback to a user
        if os.environ.get("MCRED_DEBUG"):
            raise
        result = {"error": f"unexpected {type(exc).__name__}: {exc}"}
    json.dump(result, sys.stdout, default=str)
    sys.stdout.write("\n")
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
