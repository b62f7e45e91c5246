"""The one registry of metrics, read from the warehouse's ``metrics`` view.

The ETL writes each rule once (etl/spec.py) and materialises it as a BOOLEAN, never-NULL
column of ``current_offerings``; ``metrics`` lists them in display order with their
labels. The dashboard only sums those columns: it never restates a rule (288 hours,
what counts as a partner...). Column names come from the warehouse, so they are
allow-listed against the view's own columns before they reach any SQL.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from dashboard.data.database import Reader

COMPLIANT = "compliant"  # every framework rule met (a column of current_offerings)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class Metric(NamedTuple):
    name: str
    label: str
    description: str
    framework: bool
    column: str | None  # its BOOLEAN column of current_offerings; None for completion_rate
    basis: str  # offerings or enrolments: what the share counts by default


def metrics(reader: Reader) -> tuple[Metric, ...]:
    """Every metric, in display order (cached per warehouse version)."""
    return reader.cached("metrics", None, lambda: _read(reader))


def _read(reader: Reader) -> tuple[Metric, ...]:
    columns = {r[0] for r in reader.rows("SELECT column_name FROM (DESCRIBE current_offerings)")}
    out = []
    for name, label, description, framework, column, basis in reader.rows(
        "SELECT metric, label, description, framework, column_name, basis FROM metrics ORDER BY sort_order"
    ):
        if not _IDENTIFIER.match(str(name)):
            raise ValueError(f"metric name {name!r} is not a plain identifier")
        if column is not None and (column not in columns or not _IDENTIFIER.match(column)):
            raise ValueError(f"metric {name!r} names column {column!r}, which current_offerings does not have")
        out.append(Metric(str(name), str(label), str(description), bool(framework), column, str(basis)))
    return tuple(out)


def offering_shares(reader: Reader) -> tuple[Metric, ...]:
    """The metrics that are shares of offerings (each with its column)."""
    return tuple(m for m in metrics(reader) if m.column is not None)


def numerator_sql(reader: Reader) -> str:
    """SQL aggregates of every share's numerator, by offerings and by enrolments:
    ``<metric>__offerings`` and ``<metric>__enrolments``."""
    cols = []
    for m in offering_shares(reader):
        cols.append(f"sum(CASE WHEN {m.column} THEN 1 ELSE 0 END) AS {m.name}__offerings")
        cols.append(f"sum(CASE WHEN {m.column} THEN enrolments ELSE 0 END) AS {m.name}__enrolments")
    return ", ".join(cols)


def framework_rules(reader: Reader) -> str:
    """The framework rules in words, e.g. 'under 288 hours, assessed, partner-aligned'."""
    return ", ".join(m.label[0].lower() + m.label[1:] for m in metrics(reader) if m.framework)
