"""``mcred users ...`` and ``mcred audit``: the account store and the audit log from the command line.

Passwords never travel as arguments (they would show in ``ps`` and shell history):
``--password-stdin`` reads the first line of standard input, and on a terminal the
command asks twice instead.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Vancouver")


class CommandError(Exception):
    """A user's mistake: the caller prints it as one line and exits 2."""


def register(command: Callable[[str, str], argparse.ArgumentParser], sub: Any) -> None:
    """Add ``users`` and ``audit`` to the parser (``command`` makes a sub-parser with --db)."""
    users = sub.add_parser(
        "users",
        help="local accounts: add, list, remove, passwd",
        description="Local accounts for MCRED_AUTH=local (stored beside the warehouse).",
    )
    db_help = "the warehouse whose accounts these are (default: $MCRED_DB, else data/microcredentials.duckdb)"
    users.add_argument("--db", metavar="PATH", help=db_help)
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    def users_command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = users_sub.add_parser(name, help=help_text, description=help_text)
        # Before or after the action (mcred users --db X list, mcred users list --db X);
        # SUPPRESS keeps an absent one from undoing the one given before.
        p.add_argument("--db", metavar="PATH", help=db_help, default=argparse.SUPPRESS)
        return p

    p = users_command("add", "create a local account")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--role", required=True, choices=("ministry", "institution"))
    p.add_argument("--institution", metavar="CODE", help="the institution an institution account belongs to")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_users_add)

    p = users_command("list", "list the local accounts")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_users_list)

    p = users_command("remove", "remove a local account")
    p.add_argument("email", metavar="EMAIL")
    p.set_defaults(func=cmd_users_remove)

    p = users_command("passwd", "set a local account's password")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_users_passwd)

    p = command("audit", "the audit log: sign-ins, failed sign-ins, exports, account changes")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--since", metavar="DATE", help="only events from DATE (YYYY-MM-DD, Pacific time) or an ISO date and time on"
    )
    p.set_defaults(func=cmd_audit)


# --- helpers ---------------------------------------------------------------------


def _store_path(args: argparse.Namespace) -> Path:
    from dashboard.access.store import store_path
    from etl.config import settings

    return store_path(settings(args.db).db_path)


def _store(args: argparse.Namespace) -> Any:
    from dashboard.access.store import AccessStore

    return AccessStore(_store_path(args))


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise CommandError("give the password on standard input with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Same password again: ") != first:
        raise CommandError("the two passwords differ; nothing was changed")
    return first


def _known_institutions(args: argparse.Namespace) -> frozenset[str]:
    """Institution codes from the warehouse when it exists, else from the bundled reference."""
    from etl.config import settings
    from etl.reference import read_institutions
    from etl.warehouse import read_only

    config = settings(args.db)
    if config.db_path.exists():
        with read_only(config.db_path) as con:
            return frozenset(row[0] for row in con.execute("SELECT code FROM institutions").fetchall())
    return frozenset(i.code for i in read_institutions(config.institutions_csv))


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from dashboard.access.passwords import PasswordPolicyError
        from dashboard.access.store import AccountError

        try:
            return func(args)
        except (AccountError, PasswordPolicyError) as exc:
            raise CommandError(str(exc)) from exc

    return run


def pacific(moment: datetime) -> str:
    """A time as a person in B.C. reads it: 2026-12-01 09:30:12 PST."""
    return moment.astimezone(PACIFIC).strftime("%Y-%m-%d %H:%M:%S %Z")


def parse_since(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day, time(0), tzinfo=PACIFIC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since {text!r} is not a date (YYYY-MM-DD) or an ISO date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=PACIFIC)


# --- commands --------------------------------------------------------------------


@_guarded
def cmd_users_add(args: argparse.Namespace) -> int:
    known = _known_institutions(args) if args.role == "institution" else None
    store = _store(args)
    account = store.add_account(
        args.email, args.role, _read_password(args), args.institution, actor=_actor(), known_institutions=known
    )
    scope = f" for {account.institution}" if account.institution else ""
    print(f"added {account.email} ({account.role}{scope})")
    return 0


@_guarded
def cmd_users_list(args: argparse.Namespace) -> int:
    accounts = _store(args).accounts() if _store_path(args).exists() else []
    if args.json:
        json.dump({"accounts": [a.as_dict() for a in accounts]}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    if not accounts:
        print("no local accounts yet (add one with: mcred users add EMAIL --role ministry --password-stdin)")
        return 0
    for a in accounts:
        print(
            f"{a.email:<40} {a.role:<12} {a.institution or '-':<8} since "
            f"{pacific(datetime.fromisoformat(a.created_at))}"
        )
    print(f"{len(accounts)} accounts")
    return 0


@_guarded
def cmd_users_remove(args: argparse.Namespace) -> int:
    _store(args).remove_account(args.email, actor=_actor())
    print(f"removed {args.email.strip().lower()}")
    return 0


@_guarded
def cmd_users_passwd(args: argparse.Namespace) -> int:
    store = _store(args)
    if store.account(args.email) is None:
        raise CommandError(f"no account for {args.email.strip().lower()}")
    store.set_password(args.email, _read_password(args), actor=_actor())
    print(f"password changed for {args.email.strip().lower()}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    since = parse_since(args.since) if args.since else None
    events = _store(args).events(since=since) if _store_path(args).exists() else []
    if args.json:
        json.dump({"events": [e.as_dict() for e in events]}, sys.stdout, default=str)
        sys.stdout.write("\n")
        return 0
    for e in events:
        who = e.actor or "anonymous"
        where = f" {e.route}" if e.route else ""
        address = f" from {e.address}" if e.address else ""
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items() if v is not None)
        print(f"{pacific(e.at)}  {e.action:<17} {who}{address}{where}" + (f"  ({detail})" if detail else ""))
    print(f"{len(events)} events" + (f" since {pacific(since)}" if since else ""))
    return 0
