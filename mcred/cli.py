"""The ``mcred`` command: a thin wrapper over ``etl`` (load, status, template, sample)
and ``dashboard`` (serve). The one module that may reach both packages."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A user's mistake: printed as one line, exit 2."""


def _fail(message: str) -> int:
    print(f"mcred: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _is_tty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """A one-line progress indicator on stderr, only when stderr is a terminal."""

    def __init__(self):
        self.enabled = _is_tty(sys.stderr)
        self.width = 0

    def show(self, text: str) -> None:
        if self.enabled:
            line = text[:100]
            sys.stderr.write("\r" + line.ljust(self.width))
            sys.stderr.flush()
            self.width = len(line)

    def clear(self) -> None:
        if self.enabled and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
            self.width = 0


# --- commands -------------------------------------------------------------------


def _batch_options(args: argparse.Namespace) -> dict[str, bool]:
    """What ``load`` and ``check`` are both told: the same options, the same outcome."""
    return {"allow_partial": args.allow_partial, "replace": args.replace}


def cmd_load(args) -> int:
    from etl.load import load_files

    progress = _Progress()
    json_out = args.json

    def on_progress(n, total, name):
        progress.show(f"[{n}/{total}] loading {name}")

    def on_outcome(o):
        if json_out:
            return
        progress.clear()
        print(_outcome_line(o))
        _print_errors(o, args.show_issues, f"mcred status --issues {o.submission_id}")

    settings = _settings(args)
    # --json lists every issue: they are read back from the warehouse once the load is
    # done, a batch at a time, rather than held in memory (a file can have millions).
    outcomes = load_files(
        args.paths,
        settings,
        **_batch_options(args),
        issue_limit=0 if json_out else max(args.show_issues, 0) * 4 + 1,
        on_outcome=on_outcome,
        on_progress=on_progress,
        on_wait=lambda msg: print(f"mcred: {msg}", file=sys.stderr),
    )
    progress.clear()
    if json_out:
        _write_load_json(sys.stdout, outcomes, settings.db_path)
    else:
        counts = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        summary = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(counts.items()))
        print(f"{len(outcomes)} submissions: {summary or 'none'}")
    return EXIT_REJECTED if any(o.status == "rejected" for o in outcomes) else EXIT_OK


def _print_errors(o, limit: int, all_issues: str) -> None:
    """The first ``limit`` errors of an outcome, under its line, and where the rest are."""
    if o.status == "already_loaded":
        return
    shown = [i for i in o.issues if i["severity"] == "error"][:limit]
    for issue in shown:
        where = f"row {issue['row']}" if issue["row"] is not None else "file"
        col = f", {issue['column']}" if issue["column"] else ""
        print(f"    {where}{col}: {issue['message']}")
    if o.errors > len(shown):
        print(f"    ... {o.errors - len(shown)} more errors; all issues: {all_issues}")


def _write_load_json(out, outcomes, db_path) -> None:
    """``{"submissions": [...]}`` as json.dump would write it, each item's issues streamed."""
    from etl.load import iter_issues
    from etl.warehouse import read_only

    out.write('{"submissions": [')
    with read_only(db_path) as con:
        for n, outcome in enumerate(outcomes):
            item = outcome.as_dict()
            del item["issues"]
            out.write((", " if n else "") + json.dumps(item, default=str)[:-1] + ', "issues": [')
            if outcome.status != "already_loaded" and outcome.submission_id is not None:
                for k, issue in enumerate(iter_issues(con, outcome.submission_id)):
                    out.write((", " if k else "") + json.dumps(issue, default=str))
            out.write("]}")
    out.write("]}\n")


def _outcome_line(o) -> str:
    who = f"{o.institution_code or '?'} {o.reporting_period or '?'}"
    sheet = f" [{o.sheet}]" if o.sheet else ""
    text = (
        f"{o.status.upper().replace('_', ' '):<15} {who:<14} {o.file}{sheet}: "
        f"{o.rows_accepted:,} rows accepted, {o.rows_rejected:,} rejected, "
        f"{o.errors:,} errors, {o.warnings:,} warnings"
    )
    if o.superseded:
        text += f" (supersedes submission {o.superseded})"
    if o.status == "already_loaded" and o.is_current is False and o.submission_id is not None:
        text += f" (as submission {o.submission_id}, not current: make it current with mcred restore {o.submission_id})"
    return text


def cmd_check(args) -> int:
    from etl.check import check_files
    from etl.editchecks import edit_checks, previous_submission
    from etl.warehouse import read_only

    progress = _Progress()
    settings = _settings(args)
    checked = check_files(
        args.paths,
        settings,
        **_batch_options(args),
        on_progress=lambda n, total, name: progress.show(f"[{n}/{total}] checking {name}"),
    )
    progress.clear()
    # Edit checks: only against a warehouse that has the year before (see etl.editchecks).
    explained = []
    if settings.db_path.exists() and any(c.submission is not None for c in checked):
        with read_only(settings.db_path) as con:
            for c in checked:
                if c.submission is None:
                    continue
                before = previous_submission(con, c.submission)
                if before is not None:
                    checks = edit_checks(con, c.submission, threshold=settings.edit_threshold)
                    explained.append((c.outcome, before, checks))
    outcomes = [c.outcome for c in checked]
    if args.json:
        doc = {"submissions": [o.as_dict() for o in outcomes]}
        if explained:
            doc["edit_checks"] = [
                {
                    "file": o.file,
                    "sheet": o.sheet,
                    "institution_code": o.institution_code,
                    "reporting_period": o.reporting_period,
                    "compared_with": {"submission_id": sid, "reporting_period": period},
                    "threshold": settings.edit_threshold,
                    "checks": [{"code": k.code, "message": k.message, "rows": list(k.rows)} for k in checks],
                }
                for o, (sid, period), checks in explained
            ]
        json.dump(doc, sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        for o in outcomes:
            print(_outcome_line(o))
            _print_errors(o, args.show_issues, "mcred check --json")
        if explained:
            print(
                f"edit checks (against the current submissions of the year before in {settings.db_path}; "
                f"changes of more than {settings.edit_threshold:.0%}), each to be explained when sending:"
            )
            for o, (sid, period), checks in explained:
                print(
                    f"  {o.institution_code} {o.reporting_period} {o.file}, compared with submission {sid} ({period}):"
                )
                for k in checks:
                    print(f"    {k.code}: {k.message}")
                if not checks:
                    print("    none")
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        summary = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(counts.items()))
        where = settings.db_path if settings.db_path.exists() else f"the reference in {settings.data_dir}"
        print(f"{len(outcomes)} submissions would be: {summary or 'none'} (checked against {where}; nothing written)")
    return EXIT_REJECTED if any(o.status == "rejected" for o in outcomes) else EXIT_OK


def cmd_history(args) -> int:
    from etl.history import submission_history

    rows = submission_history(_settings(args), args.institution, args.period)
    if args.json:
        json.dump({"institution_code": args.institution.strip().upper(), "submissions": rows}, sys.stdout, default=str)
        sys.stdout.write("\n")
        return EXIT_OK
    if not rows:
        print(f"no submissions for {args.institution} {args.period}")
        return EXIT_OK
    print(f"{'id':>6} {'status':<9} {'rows':>8} {'errors':>7} {'warnings':>8} {'loaded at':<20} {'current':<8} file")
    for r in rows:
        if r["is_current"]:
            mark = "current" + (" (restored)" if r["restored_at"] else "")
        elif r["superseded_by"] is not None:
            mark = f"superseded by {r['superseded_by']}"
        else:
            mark = "-"
        sheet = f" [{_safe(r['sheet'])}]" if r["sheet"] else ""
        print(
            f"{r['submission_id']:>6} {r['status']:<9} {r['rows_accepted']:>8,} {r['errors']:>7,} "
            f"{r['warnings']:>8,} {r['loaded_at']:%Y-%m-%d %H:%M:%S} {mark:<8} {_safe(r['file_name'])}{sheet} "
            f"sha256 {r['sha256'][:12]}"
        )
    return EXIT_OK


def cmd_restore(args) -> int:
    from etl.history import restore_submission

    done = restore_submission(
        _settings(args), args.submission_id, on_wait=lambda msg: print(f"mcred: {msg}", file=sys.stderr)
    )
    replaced = f" (replaces submission {done['replaced']})" if done["replaced"] is not None else ""
    print(
        f"RESTORED submission {done['submission_id']} is current for "
        f"{done['institution_code']} {done['reporting_period']}{replaced}"
    )
    return EXIT_OK


def _safe(text: str) -> str:
    from etl.readers import safe_name

    return safe_name(text)


def cmd_status(args) -> int:
    from etl.status import reporting_status, submission_issues

    settings = _settings(args)
    if args.issues is not None:
        issues = submission_issues(settings.db_path, args.issues)
        if args.json:
            json.dump({"submission_id": args.issues, "issues": issues}, sys.stdout, default=str)
            sys.stdout.write("\n")
        else:
            for i in issues:
                print(
                    f"{i['severity']:<8} row {i['row'] if i['row'] is not None else '-':<7} "
                    f"{i['column'] or '-':<22} {i['message']}"
                )
            print(f"{len(issues)} issues")
        return EXIT_OK
    status = reporting_status(settings.db_path)
    if args.json:
        json.dump(status, sys.stdout, default=str)
        sys.stdout.write("\n")
        return EXIT_OK
    periods = status["periods"]
    if not periods:
        print("no submissions loaded yet")
        return EXIT_OK
    marks = {"accepted": "ok", "partial": "part", "rejected": "REJ", "missing": "--"}
    print(f"{'institution':<8} " + " ".join(f"{p:>8}" for p in periods))
    for inst in status["institutions"]:
        cells = [
            marks[c["status"]] + ("*" if c["late"] else "!" if c["overdue"] else "")
            for c in (inst["periods"][p] for p in periods)
        ]
        print(f"{inst['code']:<8} " + " ".join(f"{c:>8}" for c in cells))
    print(
        "ok accepted, part partial, REJ rejected (no accepted submission), -- missing; "
        "* late (loaded after the deadline), ! overdue (nothing accepted by the deadline)"
    )
    for p in periods:
        t, d = status["totals"][p], status["deadlines"][p]
        print(
            f"{p}: {t['accepted']} accepted, {t['partial']} partial, {t['rejected']} rejected, "
            f"{t['missing']} missing; "
            + (
                f"deadline {d['deadline']}: {d['late']} late, {d['overdue']} overdue"
                if d["deadline"]
                else "no deadline set"
            )
        )
    return EXIT_OK


def cmd_template(args) -> int:
    from etl.template import TemplateError, write_template

    out = Path(args.out)
    try:
        write_template(out)
    except TemplateError as exc:
        raise UsageError(str(exc)) from exc
    print(f"wrote {out}")
    return EXIT_OK


def cmd_sample(args) -> int:
    from etl.sample import write_sample

    if args.offerings is not None and args.offerings < 1:
        raise UsageError(f"--offerings must be at least 1 (got {args.offerings})")
    progress = _Progress()
    files = write_sample(
        Path(args.out),
        seed=args.seed,
        offerings=args.offerings,
        on_progress=lambda n, total, name: progress.show(f"[{n}/{total}] writing {name}"),
    )
    progress.clear()
    print(f"wrote {len(files)} submission files to {args.out}")
    return EXIT_OK


def cmd_export(args) -> int:
    from dashboard.data.database import Database, NoWarehouse
    from dashboard.data.dimensions import PARAMETERS
    from dashboard.data.filters import FilterError
    from dashboard.data.reference import vocabulary
    from dashboard.data.state import FILTER_PREFIX, ExploreRequestError
    from dashboard.exports.errors import ExportError
    from dashboard.exports.offerings import export_to_file, parse_filters

    settings = _settings(args)
    query: dict[str, object] = {name: getattr(args, name) for name in PARAMETERS if getattr(args, name) is not None}
    # The explorer's URL parameters, same names and values: q, columns, sort, headers, q-<column>.
    explorer = {"q": args.search, "columns": args.columns, "sort": args.sort, "headers": args.headers}
    query.update({k: v for k, v in explorer.items() if v})
    for item in args.column_filter or ():
        column, sep, condition = item.partition("=")
        if not sep or not column.strip():
            raise UsageError(f"--column-filter {item!r}: write COLUMN=OPERATOR:VALUE, e.g. title=contains:Data")
        query[FILTER_PREFIX + column.strip()] = condition
    try:
        db = Database(settings.db_path).reader()
        filters, state = parse_filters(query, vocabulary(db))
    except (FilterError, ExploreRequestError) as exc:
        raise UsageError("; ".join(exc.problems)) from exc
    except NoWarehouse as exc:
        raise UsageError(str(exc)) from exc
    to_stdout = args.out in (None, "-")
    if to_stdout and args.format != "csv" and _is_tty(sys.stdout):
        raise UsageError(f"refusing to write {args.format} to a terminal: add --out FILE (or pipe it)")
    try:
        if to_stdout:
            rows = export_to_file(db, filters, args.format, sys.stdout.buffer, state)
            sys.stdout.flush()
        else:
            out = Path(args.out)
            tmp = out.with_name(f".{out.name}.part")  # a failed export leaves no half-written FILE
            try:
                with open(tmp, "wb") as stream:
                    rows = export_to_file(db, filters, args.format, stream, state)
                os.replace(tmp, out)
            finally:
                tmp.unlink(missing_ok=True)
    except ExportError as exc:
        raise UsageError(str(exc)) from exc
    if not to_stdout:
        print(f"wrote {rows:,} offerings to {args.out}", file=sys.stderr)
    return EXIT_OK


def cmd_serve(args) -> int:
    from dashboard.access.settings import AccessConfigError, AccessSettings, is_loopback
    from etl.load import load_files

    try:
        access = AccessSettings.from_env()
    except AccessConfigError as exc:
        raise UsageError(str(exc)) from exc
    if not access.sign_in and not is_loopback(args.host):
        raise UsageError(
            f"MCRED_AUTH=none (no sign-in) serves this machine only, not --host {args.host}: set "
            "MCRED_AUTH=local or oidc (see the README's Deploying section)"
        )
    settings = _settings(args)
    if not settings.db_path.exists():
        print(
            f"mcred: {settings.db_path} does not exist: building it from the bundled sample submissions in "
            f"{settings.sample_dir}",
            file=sys.stderr,
        )
        from etl.sample import read_received

        outcomes = load_files([settings.sample_dir], settings, received=read_received(settings.sample_dir))
        print(f"mcred: loaded {len(outcomes)} sample submissions", file=sys.stderr)
    from dashboard.app import create_app
    from dashboard.settings import DashboardSettings

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1 (got {args.workers})")
    debug = args.debug or os.environ.get("MCRED_DEBUG") == "1"
    if debug and (args.workers or not is_loopback(args.host)):
        raise UsageError(
            "debug mode (--debug or MCRED_DEBUG=1) runs code sent by the browser: only on a loopback "
            "host and without --workers"
        )
    try:
        from_env = DashboardSettings.from_env()  # MCRED_MAX_UPLOAD_MB, MCRED_EDIT_THRESHOLD
    except AccessConfigError as exc:
        raise UsageError(str(exc)) from exc
    dashboard_settings = dataclasses.replace(from_env, db_path=settings.db_path.resolve(), debug=debug, access=access)
    if args.workers:
        from dashboard.production import serve

        print(
            f"mcred: dashboard on http://{args.host}:{args.port}/ with {args.workers} workers (gunicorn; "
            "Ctrl+C to stop)",
            file=sys.stderr,
        )
        serve(lambda: create_app(dashboard_settings).server, args.host, args.port, args.workers)
        return EXIT_OK
    app = create_app(dashboard_settings)
    print(f"mcred: dashboard on http://{args.host}:{args.port}/ (Ctrl+C to stop)", file=sys.stderr)
    app.run(host=args.host, port=args.port, debug=debug, request_handler=_quiet_handler())
    return EXIT_OK


def _quiet_handler():
    from werkzeug.serving import WSGIRequestHandler

    class QuietRequestHandler(WSGIRequestHandler):
        """The development server without a version banner (Server: Werkzeug/x Python/y)."""

        server_version = "mcred"
        sys_version = ""

        def version_string(self) -> str:
            return "mcred"

    return QuietRequestHandler


# --- parser ---------------------------------------------------------------------


def _settings(args):
    from etl.config import settings

    return settings(args.db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcred",
        description="Micro-credential reporting: load institutional submissions into DuckDB, "
        "check them, export them and run the dashboard.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    db_help = "the DuckDB warehouse (default: $MCRED_DB, else data/microcredentials.duckdb)"

    def command(name, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="PATH", help=db_help)
        return p

    p = command("load", "load submission files (folders are searched for .csv and .xlsx)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="accept a submission's valid rows and reject only the rows with errors",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="let a partial submission replace a current one that has more than twice its rows",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    p.add_argument("--show-issues", type=int, default=5, metavar="N", help="errors to print per submission (default 5)")
    p.set_defaults(func=cmd_load)

    p = command(
        "check",
        "validate submission files exactly as load would and write nothing: the validator an institution runs "
        "before sending (against the warehouse at --db when it exists, else the bundled reference data)",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--allow-partial", action="store_true", help="as load --allow-partial")
    p.add_argument("--replace", action="store_true", help="as load --replace")
    p.add_argument("--json", action="store_true", help="print one JSON object (the shape of load --json)")
    p.add_argument("--show-issues", type=int, default=5, metavar="N", help="errors to print per submission (default 5)")
    p.set_defaults(func=cmd_check)

    p = command("status", "which institutions have an accepted, partial, rejected or no submission per period")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--issues", type=int, metavar="SUBMISSION_ID", help="list one submission's validation issues")
    p.set_defaults(func=cmd_status)

    p = command("history", "every submission of an institution for a period: status, rows, current or not")
    p.add_argument("institution", metavar="INSTITUTION")
    p.add_argument("period", metavar="PERIOD", help="a fiscal year, 2024/25")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_history)

    p = command("restore", "make an earlier accepted or partial submission current again (recorded in the history)")
    p.add_argument("submission_id", type=int, metavar="SUBMISSION_ID")
    p.set_defaults(func=cmd_restore)

    p = command("template", "write an empty submission template (.xlsx with dropdowns and column notes, or .csv)")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_template)

    p = command("sample", "write a realistic synthetic set of submissions (same seed, same bytes)")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument(
        "--offerings",
        type=int,
        default=None,
        metavar="N",
        help="about how many offerings in all (default: a few thousand)",
    )
    p.set_defaults(func=cmd_sample)

    p = command("export", "write the current offerings that match the filters (csv, xlsx or parquet)")
    p.add_argument("--format", choices=("csv", "xlsx", "parquet"), default="csv", help="default csv")
    p.add_argument("--out", metavar="FILE", help="where to write (default -: standard output)")
    from dashboard.data.dimensions import DIMENSIONS  # the URL filter parameters: same names and values

    for dim in DIMENSIONS:
        p.add_argument(
            f"--{dim.param}",
            metavar="VALUES",
            action="append",
            help=f"{dim.help}; comma-separated or repeated values are OR-ed",
        )
    p.add_argument("--search", metavar="TEXT", help="only offerings whose title contains TEXT (any case)")
    p.add_argument(
        "--columns",
        metavar="LIST",
        help="only these columns, in this order (comma-separated export columns, or file_name, loaded_at), "
        "as the explorer's column chooser; default: every export column",
    )
    p.add_argument(
        "--column-filter",
        metavar="COLUMN=OP:VALUE",
        action="append",
        help="a grid column filter, as the explorer's q-COLUMN=OP:VALUE (e.g. title=contains:Data, "
        "enrolments=greaterThan:10, start_date=inRange:2024-09-01:2024-12-31, field_of_study=blank); repeat "
        "for more columns (AND-ed)",
    )
    p.add_argument(
        "--sort", metavar="COLUMN:DIR,...", help="row order, e.g. title:asc,enrolments:desc (default: load order)"
    )
    p.add_argument(
        "--headers",
        choices=("codes", "labels"),
        help="codes (default: field names and codes, a valid submission file) or labels (the screen's "
        "column names and labelled values, for people)",
    )
    p.set_defaults(func=cmd_export)

    p = command("serve", "run the dashboard (builds the database from the bundled sample when it is missing)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument(
        "--workers", type=int, metavar="N", help="the production server: gunicorn with N threaded worker processes"
    )
    p.add_argument("--debug", action="store_true", help="Dash debug mode (never on a shared network)")
    p.set_defaults(func=cmd_serve)

    from mcred import access_commands

    access_commands.register(command, sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    from etl.config import SettingsError
    from etl.history import HistoryError
    from etl.load import LoadError
    from etl.reference import ReferenceDataError
    from etl.warehouse import WarehouseError
    from mcred.access_commands import CommandError

    try:
        return args.func(args)
    except (
        UsageError,
        CommandError,
        LoadError,
        HistoryError,
        WarehouseError,
        ReferenceDataError,
        SettingsError,
    ) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("mcred: interrupted; the database is as it was before the interrupted submission", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        return _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
    except Exception as exc:  # noqa: BLE001 - one line, never a bare traceback
        if os.environ.get("MCRED_DEBUG"):
            raise
        return _fail(
            f"unexpected {type(exc).__name__}: {exc} (set MCRED_DEBUG=1 for the traceback and please report it)"
        )


if __name__ == "__main__":
    sys.exit(main())
