"""Tables on screen whose downloads hold exactly what they show: the peer table of /compare, the
issue list of /submissions and the validation report of /submit.

A ``ScreenTable`` lists the grid's visible columns in their order, once: the views build the
grid's column definitions from it and the downloads their header row, so the file's columns are
the table's. A download's request names the grid's sort (``sort=<field>:<asc|desc>,...``, first
key first, read from the grid's column state in the browser) and its header row
(``headers=codes``, the default, or ``labels``: the grid's headings). Both are checked against
this allow-list; the rows themselves never come from the browser: the server builds them again
(in the viewer's scope, small counts hidden) and sorts them as the grid does.

Plain Python (no dash, duckdb or pandas).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from dashboard.data.state import HEADERS, first, parse_sort

Sort = tuple[tuple[str, str], ...]


class TableColumn(NamedTuple):
    field: str  # the grid's field (its sort key)
    label: str  # the grid's heading: an export's header with headers=labels
    code: str | None = None  # an export's header with headers=codes (None: the field)

    @property
    def code_name(self) -> str:
        return self.code or self.field


class TableRequestError(ValueError):
    """A download's sort or headers that the table does not have (HTTP 400): each problem names
    the parameter and what it accepts."""

    status = 400

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class TableRequest(NamedTuple):
    sort: Sort = ()
    headers: str = "codes"


class ScreenTable(NamedTuple):
    name: str  # what the table is called in a message ("the peer table")
    columns: tuple[TableColumn, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns)

    def label(self, field: str) -> str:
        return next(c.label for c in self.columns if c.field == field)

    def header(self, headers: str = "codes") -> list[str]:
        """The download's header row: the grid's headings (labels) or the fields' names (codes)."""
        return [c.label if headers == "labels" else c.code_name for c in self.columns]

    def read(self, query: Mapping[str, Any]) -> TableRequest:
        """The download's sort and headers from a request's query; TableRequestError when either
        names what the table does not have."""
        sort, problems = parse_sort(first(query, "sort"), self.fields)
        headers = first(query, "headers").lower() or "codes"
        if headers not in HEADERS:
            problems.append(f"headers: unknown value {headers!r}: accepted are {', '.join(HEADERS)}")
        if problems:
            raise TableRequestError([f"{p} (of {self.name})" for p in problems])
        return TableRequest(sort, headers)

    def sort_rows(self, rows: Sequence[Mapping[str, Any]], sort: Sort) -> list[Mapping[str, Any]]:
        """The rows as the grid sorts them (AG Grid's default comparator): by each key in turn,
        empty values first when ascending (last when descending), ties in the rows' own order."""
        out = list(rows)
        for field, direction in reversed(sort):  # stable sorts, last key first
            out.sort(key=functools.partial(_sort_key, field), reverse=direction == "desc")
        return out

    def describe_sort(self, sort: Sort) -> str:
        words = {"asc": "ascending", "desc": "descending"}
        return ", ".join(f"{self.label(f)} ({words[d]})" for f, d in sort) or "the page's order"

    def order_sql(self, sort: Sort, expressions: Mapping[str, str]) -> list[str]:
        """ORDER BY terms for the sort over SQL ``expressions`` per field (the same order as
        ``sort_rows``; a field without an expression cannot be sorted by the server)."""
        return [
            f"{expressions[field]} {'ASC NULLS FIRST' if direction == 'asc' else 'DESC NULLS LAST'}"
            for field, direction in sort
        ]


def _sort_key(field: str, row: Mapping[str, Any]) -> tuple[bool, Any]:
    value = row.get(field)
    empty = value is None or (isinstance(value, float) and value != value)
    return (not empty, 0 if empty else value)


def sort_text(sort: Sort) -> str:
    """The ``sort`` parameter of a sort (``title:asc,row:desc``)."""
    return ",".join(f"{field}:{direction}" for field, direction in sort)


# --- the tables -----------------------------------------------------------------------------------

PEER_TABLE = ScreenTable(
    "the peer table",
    (
        TableColumn("name", "Institution", "institution_name"),
        TableColumn("code", "Code", "institution_code"),
        TableColumn("sector", "Sector"),
        TableColumn("region", "Region"),
        TableColumn("offerings", "Offerings"),
        TableColumn("enrolments", "Enrolments"),
        TableColumn("completions", "Completions"),
        TableColumn("completion_rate", "Completion rate"),
        TableColumn("ce_share", "CE share"),
        TableColumn("credit_share", "Credit share"),
        TableColumn("compliance", "Compliance"),
        TableColumn("note", "Note"),
    ),
)

ISSUE_TABLE = ScreenTable(
    "the issue list",
    (
        TableColumn("institution_code", "Institution"),
        TableColumn("file_name", "File"),
        TableColumn("row", "Row"),
        TableColumn("column", "Column"),
        TableColumn("severity", "Severity"),
        TableColumn("value", "Value given"),
        TableColumn("message", "Problem"),
    ),
)

REPORT_TABLE = ScreenTable(
    "the validation report",
    (
        TableColumn("severity", "Severity"),
        TableColumn("row", "Row"),
        TableColumn("column", "Column"),
        TableColumn("value", "Value given"),
        TableColumn("expected", "Accepted"),
        TableColumn("message", "Problem"),
    ),
)
