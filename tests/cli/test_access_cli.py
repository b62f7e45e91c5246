"""``mcred users`` and ``mcred audit`` (interfaces.md, "Command line" and "Access"): real
processes, real stdin, the account store beside the warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MCRED = Path(sys.executable).with_name("mcred")
PASSWORD = "a long enough passphrase"


def mcred(db: Path, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(MCRED), *argv, "--db", str(db)], input=stdin, capture_output=True, text=True, timeout=60)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mcred: error: ") and "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"


def test_users_add_list_passwd_remove_and_the_audit_trail(db):
    added = mcred(db, "users", "add", "Ana@Gov.BC.ca", "--role", "ministry", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0 and added.stdout.strip() == "added ana@gov.bc.ca (ministry)"
    inst = mcred(
        db,
        "users",
        "add",
        "lee@bcit.ca",
        "--role",
        "institution",
        "--institution",
        "bcit",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert inst.returncode == 0 and inst.stdout.strip() == "added lee@bcit.ca (institution for BCIT)"

    listed = json.loads(mcred(db, "users", "list", "--json").stdout)
    assert [(a["email"], a["role"], a["institution"]) for a in listed["accounts"]] == [
        ("lee@bcit.ca", "institution", "BCIT"),
        ("ana@gov.bc.ca", "ministry", None),
    ]
    text = mcred(db, "users", "list").stdout
    assert "lee@bcit.ca" in text and "BCIT" in text and text.strip().endswith("2 accounts")

    assert (
        mcred(db, "users", "passwd", "lee@bcit.ca", "--password-stdin", stdin="a brand new passphrase\n").returncode
        == 0
    )
    assert mcred(db, "users", "remove", "ana@gov.bc.ca").returncode == 0
    assert [a["email"] for a in json.loads(mcred(db, "users", "list", "--json").stdout)["accounts"]] == ["lee@bcit.ca"]

    events = json.loads(mcred(db, "audit", "--json").stdout)["events"]
    assert [(e["action"], e["detail"]["email"]) for e in events] == [
        ("account_added", "ana@gov.bc.ca"),
        ("account_added", "lee@bcit.ca"),
        ("password_changed", "lee@bcit.ca"),
        ("account_removed", "ana@gov.bc.ca"),
    ]
    assert all(e["actor"].startswith("cli") for e in events)
    assert PASSWORD not in mcred(db, "audit").stdout
    assert json.loads(mcred(db, "audit", "--json", "--since", "2999-01-01").stdout) == {"events": []}
    assert "4 events" in mcred(db, "audit").stdout


def test_the_store_is_not_the_warehouse_and_no_warehouse_is_created(db):
    mcred(db, "users", "add", "a@b.ca", "--role", "ministry", "--password-stdin", stdin=PASSWORD)
    assert not db.exists() and db.with_name("warehouse.access.sqlite").exists()


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (("users", "add", "a@b.ca", "--role", "ministry", "--password-stdin"), "short", "at least 12 characters"),
        (("users", "add", "a@b.ca", "--role", "institution", "--password-stdin"), PASSWORD, "needs --institution"),
        (
            ("users", "add", "a@b.ca", "--role", "institution", "--institution", "NOPE", "--password-stdin"),
            PASSWORD,
            "unknown institution 'NOPE': institutions are BCIT, ",
        ),
        (("users", "add", "not-an-email", "--role", "ministry", "--password-stdin"), PASSWORD, "is not an email"),
        (("users", "add", "a@b.ca", "--role", "ministry"), PASSWORD, "--password-stdin"),
        (("users", "remove", "nobody@b.ca"), None, "no account for nobody@b.ca"),
        (("users", "passwd", "nobody@b.ca", "--password-stdin"), PASSWORD, "no account for nobody@b.ca"),
        (("audit", "--since", "last tuesday"), None, "--since 'last tuesday' is not a date"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(db, argv, stdin, message):
    assert message in one_line_error(mcred(db, *argv, stdin=stdin))


def test_adding_an_account_twice_is_refused(db):
    mcred(db, "users", "add", "a@b.ca", "--role", "ministry", "--password-stdin", stdin=PASSWORD)
    assert "exists already" in one_line_error(
        mcred(db, "users", "add", "A@b.ca", "--role", "ministry", "--password-stdin", stdin=PASSWORD)
    )


def test_empty_store(db):
    assert "no local accounts yet" in mcred(db, "users", "list").stdout
    assert mcred(db, "audit").stdout.strip() == "0 events"
    assert not db.with_name("warehouse.access.sqlite").exists()


def serve(db: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    environment = {k: v for k, v in os.environ.items() if not k.startswith("MCRED_")} | env
    return subprocess.run(
        [str(MCRED), "serve", "--db", str(db), *argv], capture_output=True, text=True, timeout=60, env=environment
    )


def test_serve_without_sign_in_refuses_a_network_address(db):
    message = one_line_error(serve(db, "--host", "0.0.0.0"))
    assert "MCRED_AUTH=none" in message and "--host 0.0.0.0" in message
    assert not db.exists()  # refused before anything was built


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MCRED_AUTH": "local"}, "MCRED_SECRET_KEY is required"),
        ({"MCRED_AUTH": "local", "MCRED_SECRET_KEY": "short"}, "MCRED_SECRET_KEY is too short"),
        ({"MCRED_AUTH": "ldap"}, "MCRED_AUTH='ldap'"),
        ({"MCRED_AUTH": "oidc", "MCRED_SECRET_KEY": "x" * 40}, "MCRED_AUTH=oidc needs MCRED_OIDC_ISSUER"),
        ({"MCRED_PUBLIC": "maybe"}, "MCRED_PUBLIC='maybe'"),
        ({"MCRED_MIN_CELL": "ten"}, "MCRED_MIN_CELL='ten'"),
    ],
)
def test_serve_refuses_unusable_access_settings_naming_the_variable(db, env, named):
    assert named in one_line_error(serve(db, **env))


def test_db_may_come_before_or_after_the_action(db):
    mcred(db, "users", "add", "a@b.ca", "--role", "ministry", "--password-stdin", stdin=PASSWORD)
    before = subprocess.run(
        [str(MCRED), "users", "--db", str(db), "list", "--json"], capture_output=True, text=True, timeout=60
    )
    assert [a["email"] for a in json.loads(before.stdout)["accounts"]] == ["a@b.ca"]
