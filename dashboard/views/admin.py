"""The /admin page's components: the accounts table, the audit log's controls and table."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

ACCOUNT_COLUMNS = (
    ("email", "Email"),
    ("role", "Role"),
    ("institution", "Institution"),
    ("created", "Created"),
    ("last_sign_in", "Last sign-in"),
)
AUDIT_COLUMNS = (
    ("at", "When"),
    ("actor", "Who"),
    ("role", "Role"),
    ("action", "Action"),
    ("route", "Route"),
    ("detail", "Detail"),
    ("address", "Address"),
)
NO_WRAP = frozenset({"at", "created", "last_sign_in", "action"})  # dates stay on one line on a phone
ACTION_WORDS = {
    "sign_in": "Sign-in",
    "sign_in_failed": "Failed sign-in",
    "sign_out": "Sign-out",
    "export": "Export",
    "account_added": "Account added",
    "account_removed": "Account removed",
    "password_changed": "Password changed",
}


def table(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...], table_id: str, empty: str):
    if not rows:
        return html.P(empty, className="text-muted small mb-0", id=f"{table_id}-empty")
    header = html.Thead(html.Tr([html.Th(title, scope="col") for _, title in columns]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(
                        ACTION_WORDS.get(r[key], r[key]) if key == "action" else r[key],
                        className=f"admin-{key}" + (" text-nowrap" if key in NO_WRAP else ""),
                    )
                    for key, _ in columns
                ]
            )
            for r in rows
        ]
    )
    return dbc.Table([header, body], size="sm", hover=True, responsive=True, className="mb-0 admin-table", id=table_id)


def accounts_table(rows: list[dict[str, Any]]):
    return table(rows, ACCOUNT_COLUMNS, "admin-accounts-table", "No local accounts yet: add one with mcred users add.")


def audit_table(rows: list[dict[str, Any]]):
    return table(rows, AUDIT_COLUMNS, "admin-audit-table", "No audit events match.")


def audit_caption(total: int, page: int, pages: int, shown: int) -> str:
    if total == 0:
        return "No audit events match."
    return f"{total:,} event{'s' if total != 1 else ''}; page {page} of {pages} ({shown} shown, newest first)."
