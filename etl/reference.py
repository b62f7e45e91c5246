"""Reference data: institutions, code lists and targets, read and written to the warehouse."""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from etl import spec
from etl.validate import parse_period

SECTORS = tuple(spec.CODE_LISTS["sector"].values)
TARGET_KEYS = {"metric", "comparator", "value", "source", "period", "sector", "institution", "basis"}


class ReferenceDataError(Exception):
    """A reference file (institutions.csv, targets.toml, deadlines.toml) is wrong; the message says where."""


@dataclass(frozen=True)
class Target:
    """One ``[[target]]`` of targets.toml (see the README's Targets section)."""

    metric: str  # a metric of etl.spec.METRICS
    comparator: str  # ">=" or "<="
    value: float  # a share from 0 to 1
    source: str  # where the number comes from, shown beside it
    # where it applies: the most specific target wins (institution, then sector, then period)
    period: str | None = None
    sector: str | None = None
    institution: str | None = None
    basis: str = "offerings"  # or "enrolments"


def read_institutions(path: Path) -> list[spec.Institution]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read the institutions reference ({exc.strerror})") from exc
    out = []
    for n, row in enumerate(rows, start=2):
        try:
            inst = spec.Institution(
                row["code"].strip(), row["name"].strip(), row["sector"].strip(), row["region"].strip()
            )
        except (KeyError, AttributeError) as exc:
            raise ReferenceDataError(f"{path}: row {n} needs code, name, sector and region") from exc
        if inst.sector not in SECTORS:
            raise ReferenceDataError(f"{path}: row {n}: sector {inst.sector!r} is not one of {', '.join(SECTORS)}")
        out.append(inst)
    return out


def default_targets() -> list[Target]:
    return [Target(m.name, m.default_comparator, m.default_value, m.default_source) for m in spec.METRICS]


def read_targets(path: Path, institutions: list[spec.Institution]) -> list[Target]:
    """Parse targets.toml, collecting every problem before reporting."""
    if not path.exists():
        return default_targets()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReferenceDataError(f"{path}: {exc}") from exc
    codes = {i.code for i in institutions}
    problems, targets = [], []
    unknown_top = set(doc) - {"target"}
    if unknown_top:
        problems.append(f"unknown top-level keys {sorted(unknown_top)} (only [[target]] tables)")
    for n, item in enumerate(doc.get("target", []), start=1):
        where = f"[[target]] #{n}"
        extra = set(item) - TARGET_KEYS
        if extra:
            problems.append(f"{where}: unknown keys {sorted(extra)} (allowed: {', '.join(sorted(TARGET_KEYS))})")
        metric = item.get("metric")
        if metric not in spec.METRICS_BY_NAME:
            problems.append(f"{where}: metric {metric!r} is not one of {', '.join(spec.METRICS_BY_NAME)}")
        if item.get("comparator") not in (">=", "<="):
            problems.append(f"{where}: comparator must be '>=' or '<='")
        value = item.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
            problems.append(f"{where}: value must be a share from 0 to 1")
        if not isinstance(item.get("source"), str) or not item.get("source"):
            problems.append(f"{where}: source is required (where the number comes from)")
        period = item.get("period")
        if period is not None and parse_period(str(period)) is None:
            problems.append(f"{where}: period {period!r} is not a fiscal year like 2024/25")
        if item.get("sector") is not None and item["sector"] not in SECTORS:
            problems.append(f"{where}: sector must be one of {', '.join(SECTORS)}")
        if item.get("institution") is not None and item["institution"] not in codes:
            problems.append(f"{where}: institution {item['institution']!r} is not an institution code")
        basis = item.get("basis", "offerings")
        if basis not in ("offerings", "enrolments"):
            problems.append(f"{where}: basis must be 'offerings' or 'enrolments'")
        if not problems:
            targets.append(
                Target(
                    metric,
                    item["comparator"],
                    float(value),
                    item["source"],
                    parse_period(str(period)) if period else None,
                    item.get("sector"),
                    item.get("institution"),
                    basis,
                )
            )
    if problems:
        raise ReferenceDataError(f"{path}: " + "; ".join(problems))
    # Every metric has at least its default, so the dashboard always has a target to show.
    have = {t.metric for t in targets if not (t.period or t.sector or t.institution)}
    return targets + [t for t in default_targets() if t.metric not in have]


def read_deadlines(path: Path) -> dict[str, date]:
    """Parse deadlines.toml into {fiscal year: deadline}, collecting every problem before
    reporting. No file means no deadlines (nothing is ever late)."""
    if not path.exists():
        return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReferenceDataError(f"{path}: {exc}") from exc
    problems: list[str] = []
    unknown_top = set(doc) - {"deadlines"}
    if unknown_top:
        problems.append(f"unknown top-level keys {sorted(unknown_top)} (only a [deadlines] table)")
    table = doc.get("deadlines", {})
    if not isinstance(table, dict):
        problems.append('deadlines must be a [deadlines] table of "YYYY/YY" = YYYY-MM-DD entries')
        table = {}
    deadlines: dict[str, date] = {}
    spelled: dict[str, str] = {}
    for key, value in table.items():
        where = f"[deadlines] {key!r}"
        period = parse_period(key)
        if period is None:
            problems.append(f'{where}: not a fiscal year like "2024/25"')
            continue
        if period in spelled:
            problems.append(f"{where}: the same fiscal year as {spelled[period]!r}")
            continue
        spelled[period] = key
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                pass
        if isinstance(value, datetime) or not isinstance(value, date):
            problems.append(f"{where}: {value!r} is not a date; write one like {int(period[:4]) + 1}-06-30")
            continue
        starts = date(int(period[:4]), 4, 1)
        if value < starts:
            problems.append(f"{where}: {value.isoformat()} is before the fiscal year starts ({starts.isoformat()})")
            continue
        deadlines[period] = value
    if problems:
        raise ReferenceDataError(f"{path}: " + "; ".join(problems))
    return dict(sorted(deadlines.items()))


def sync_reference(
    con: duckdb.DuckDBPyConnection,
    institutions: list[spec.Institution],
    targets: list[Target],
    deadlines: Mapping[str, date] | None = None,
) -> None:
    """Replace the reference tables with the current reference data (inside the caller's transaction)."""
    con.execute("DELETE FROM institution")
    _insert(
        con, "INSERT INTO institution", [(i.code, i.name, i.sector, i.region, n) for n, i in enumerate(institutions)]
    )
    con.execute("DELETE FROM code_list")
    con.execute("DELETE FROM code_alias")
    rows: list[tuple[str, str, str, str | None, int]] = []
    aliases: list[tuple[str, str, str]] = []
    for cl in spec.CODE_LISTS.values():
        for n, code in enumerate(cl.codes):
            rows.append((cl.name, code.code, code.label, code.description, n))
        for alias, matched in cl.lookup().items():
            aliases.append((cl.name, alias, matched))
    regions = sorted({i.region for i in institutions})
    rows += [("region", r, r, None, n) for n, r in enumerate(regions)]
    _insert(con, "INSERT INTO code_list", rows)
    _insert(con, "INSERT INTO code_alias", aliases)
    con.execute("DELETE FROM target_metric")
    _insert(
        con,
        "INSERT INTO target_metric (metric, label, description, framework, sort_order, column_name, basis)",
        [(m.name, m.label, m.description, m.framework, n, m.column, m.unit_of) for n, m in enumerate(spec.METRICS)],
    )
    con.execute("DELETE FROM target")
    _insert(
        con,
        "INSERT INTO target",
        [
            (n, t.metric, t.comparator, t.value, t.source, t.period, t.sector, t.institution, t.basis)
            for n, t in enumerate(targets, start=1)
        ],
    )
    con.execute("DELETE FROM reporting_deadline")
    _insert(con, "INSERT INTO reporting_deadline", list((deadlines or {}).items()))


def _insert(con: duckdb.DuckDBPyConnection, into: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """``rows`` in one statement (none: nothing). executemany runs one statement per row: for the
    ~250 reference rows that was 0.08 s of every load."""
    if not rows:
        return
    one = "(" + ", ".join("?" * len(rows[0])) + ")"
    con.execute(f"{into} VALUES {', '.join([one] * len(rows))}", [value for row in rows for value in row])
