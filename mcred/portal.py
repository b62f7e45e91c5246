"""The ETL side of the dashboard's /submit page, run as a child process of the dashboard.

``dashboard`` never imports ``etl`` (the warehouse file is their only interface), so the
dashboard asks this module, in a fresh process, to do what only the ETL can:

- ``python -m mcred.portal check --db DB --name NAME FILE``: validate an uploaded draft
  exactly as ``mcred load`` would, plus the edit checks across years, writing nothing;
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


def check(path: Path, name: str, db_path: Path, threshold: float) -> dict[str, Any]:
    """The validation report of one uploaded file (nothing is written anywhere)."""
    import duckdb

    from etl import readers, reference
    from etl.config import settings as etl_settings
    from etl.load import ACCEPTED, REJECTED, _decide
    from etl.readers import UnreadableFile
    from etl.spec import SEVERITY_ERROR
    from etl.validate import SubmissionGroup, release, validate_batch

    settings = etl_settings(db_path)
    institutions = reference.read_institutions(settings.institutions_csv)
    deadlines = reference.read_deadlines(settings.deadlines_toml)
    periods = (min(deadlines), max(deadlines)) if deadlines else None
    try:
        raw = readers.read_submission_file(path)
    except UnreadableFile as exc:
        issue = {
            "severity": SEVERITY_ERROR,
            "row": exc.row,
            "column": exc.column,
            "value": None,
            "expected": "a .csv or .xlsx file in the submission format",
            "message": exc.message,
            "rule": "unreadable_file",
            "sheet": exc.sheet,
        }
        return _report(name, [_submission(None, None, REJECTED, 0, 0, 1, 0, [issue])], [])
    raw.file_name = name  # the name the person chose, not the temporary file's
    con = duckdb.connect(":memory:")
    try:
        [validated] = validate_batch(con, [raw], institutions, periods)
        groups = validated.groups or [SubmissionGroup(0, None, None, None, None)]
        file_issues = [_issue_dict(i) for i in validated.file_issues]
        submissions = []
        for group in groups:
            status = _decide(validated, group, allow_partial=False)
            rows = con.execute(
                """
                SELECT severity, _row, column_name, value, expected, message, rule FROM issues WHERE _sub = ?
                ORDER BY severity = 'warning', _row, column_name
                """,
                [group.key],
            ).fetchall()
            issues = file_issues + [
                dict(zip(("severity", "row", "column", "value", "expected", "message", "rule"), r), sheet=raw.sheet)
                for r in rows
            ]
            errors = group.errors + sum(i["severity"] == SEVERITY_ERROR for i in file_issues)
            warnings = group.warnings + sum(i["severity"] != SEVERITY_ERROR for i in file_issues)
            accepted = group.rows_total - group.rows_with_errors if status == ACCEPTED else 0
            submissions.append(
                _submission(
                    group.institution_code,
                    group.reporting_period,
                    status,
                    group.rows_total,
                    accepted,
                    errors,
                    warnings,
                    _capped(issues),
                )
            )
        one = groups[0] if len(groups) == 1 and submissions[0]["status"] == ACCEPTED else None
        checks = _edit_checks(con, db_path, one, threshold) if one is not None else []
    finally:
        release(con)
        con.close()
    return _report(name, submissions, checks, sha256=raw.sha256)


def _edit_checks(con: Any, db_path: Path, group: Any, threshold: float) -> list[dict[str, Any]]:
    """The edit checks (etl.editchecks) of the file's one submission, against the warehouse: over
    the rows that loading it would store (those of ``typed`` without an error, as etl.load stores them)."""
    from etl import editchecks
    from etl.warehouse import read_only

    if group.institution_code is None or group.reporting_period is None:
        return []
    offerings = con.sql(
        """
        SELECT t._row AS source_row, t.raw_offering_id AS offering_id, t.credit_status, t.duration_hours,
               t.assessment, t.partner_categories, t.enrolments, t.completions
        FROM typed t
        WHERE t._sub = $sub AND NOT EXISTS (
            SELECT 1 FROM issues e WHERE e._sub = t._sub AND e._row = t._row AND e.severity = 'error')
        ORDER BY t._row
        """,
        params={"sub": group.key},
    ).to_arrow_table()
    submission = editchecks.ValidatedSubmission(group.institution_code, group.reporting_period, offerings)
    if db_path.exists():
        with read_only(db_path) as warehouse:
            found = editchecks.edit_checks(warehouse, submission, threshold=threshold)
    else:
        found = editchecks.edit_checks(None, submission, threshold=threshold)
    return [{"code": c.code, "message": c.message, "rows": list(c.rows)} for c in found]


def _issue_dict(issue: Any) -> dict[str, Any]:
    return {
        "severity": issue.severity,
        "row": issue.row,
        "column": issue.column,
        "value": issue.value,
        "expected": issue.expected,
        "message": issue.message,
        "rule": issue.rule,
        "sheet": issue.sheet,
    }


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


def _submission(
    institution: str | None,
    period: str | None,
    status: str,
    rows_total: int,
    rows_accepted: int,
    errors: int,
    warnings: int,
    issues: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "institution_code": institution,
        "reporting_period": period,
        "status": status,
        "rows_total": rows_total,
        "rows_accepted": rows_accepted,
        "errors": errors,
        "warnings": warnings,
        "issues": issues,
    }


def _report(
    name: str, submissions: list[dict[str, Any]], checks: list[dict[str, Any]], sha256: str | None = None
) -> dict[str, Any]:
    return {"file": name, "sha256": sha256, "submissions": submissions, "edit_checks": checks}


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
    p.add_argument("--name", required=True)
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
            result = check(Path(args.file), args.name, Path(args.db), args.threshold)
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
