"""The data behind each overview chart, as a small CSV table (``/export/chart/<id>.csv``).

Chart ids, like the charts themselves, come from the overview's breakdowns in the
dimension registry, so a chart and its download cannot disagree.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.data import overview
from dashboard.data.database import Reader
from dashboard.data.dimensions import BY_PARAM, NOT_REPORTED, NOT_REPORTED_LABEL, PERIOD
from dashboard.data.filters import Filters
from dashboard.data.reference import vocabulary
from dashboard.data.state import MEASURES, NO_SPLIT
from dashboard.exports.csv import table_csv
from dashboard.exports.errors import ExportError

TREND_CHART = "chart-trend"
SECTOR_CE_CHART = "chart-ce-sector"


def chart_id(breakdown: str) -> str:
    return f"chart-{breakdown}"


# overview chart id -> (breakdowns key or "trend", code list for labels)
CHARTS: dict[str, tuple[str, str | None]] = {
    **{chart_id(p): (p, p) for p in overview.BREAKDOWNS},
    SECTOR_CE_CHART: (overview.SECTOR_CE, "sector"),
    TREND_CHART: ("trend", None),
}
SPLITS = tuple(p for p in BY_PARAM if p != PERIOD)


def chart_rows(
    reader: Reader, chart: str, filters: Filters, measure: str, split: str = NO_SPLIT
) -> list[dict[str, Any]]:
    """The data behind one overview chart, as the chart shows it: its bars in its order, and of
    the two measures only the one it counts (``measure``), beside the category's code and label.

    ``share`` is the chart's percentage: the category's share of the measure's total
    (for partner categories, of all offerings, as the chart's note says); on the
    continuing-education chart, each sector's share through continuing education, with a
    last row for all sectors as the chart's last bar.
    """
    if chart not in CHARTS:
        raise ExportError(f"unknown chart {chart!r}: charts are {', '.join(CHARTS)}", status=404)
    if measure not in MEASURES:
        raise ExportError(f"unknown measure {measure!r}: measures are {', '.join(MEASURES)}")
    vocab = vocabulary(reader)
    key, list_name = CHARTS[chart]
    if key == "trend":
        if split not in (NO_SPLIT, *SPLITS):
            raise ExportError(f"unknown split {split!r}: splits are {NO_SPLIT}, {', '.join(SPLITS)}")
        frame = overview.trend(reader, filters, split, measure)
        labels = dict(vocab.values.get(split, ())) if split != NO_SPLIT else {}
        return [
            {
                "reporting_period": r.reporting_period,
                "split": split,
                "category": r.category,
                "label": labels.get(r.category, "All offerings" if r.category == "all" else r.category),
                measure: _count(r, measure),
            }
            for r in frame.itertuples()
        ]
    assert list_name is not None
    data = overview.breakdowns(reader, filters)
    frame = data[key]
    total = int(data["type"][measure].sum())  # every offering has exactly one type
    labels = dict(vocab.values.get(list_name, ()))
    labels[NOT_REPORTED] = NOT_REPORTED_LABEL
    order = {code: i for i, code in enumerate([*vocab.codes(list_name), NOT_REPORTED])}
    if key == overview.SECTOR_CE:
        return _ce_rows(frame, measure, labels, [c for c in vocab.codes(list_name) if c != NOT_REPORTED])
    given = measure == "enrolments" and "enrolments_share" in frame  # shares of a suppressed table
    rows = [
        {
            "category": r.category,
            "label": labels.get(r.category, r.category),
            measure: _count(r, measure),
            "share": (None if pd.isna(r.enrolments_share) else round(float(r.enrolments_share), 6))
            if given
            else _share(getattr(r, measure), total),
        }
        for r in frame.itertuples()
    ]
    return sorted(rows, key=lambda r: (order.get(r["category"], len(order)), r["category"]))


MARK = "enrolments_mark"  # dashboard.data.privacy: what to show for a hidden count


def _count(row: Any, measure: str) -> int | str:
    """The row's offerings, or its enrolments: a count of people, or its mark ("<10", "x") when
    hidden from the viewer."""
    hidden = getattr(row, MARK, "") if measure == "enrolments" else ""
    return str(hidden) if hidden else int(getattr(row, measure))


def _ce_rows(frame: pd.DataFrame, measure: str, labels: dict[str, str], sectors: list[str]) -> list[dict[str, Any]]:
    """The continuing-education chart's bars: per sector (in the chart's order) and for all
    sectors, the measure through continuing education, in all, and the share. A sector whose
    figures rest on a hidden count is withheld, and all sectors with it (as on the chart)."""
    through = f"{measure}_continuing_education"
    rows = []
    for bar in overview.ce_shares(frame, measure, sectors):
        label = "All sectors" if bar.sector == "all" else labels.get(bar.sector, bar.sector)
        yes: int | str = "x" if bar.withheld else int(bar.through_ce)
        total: int | str = "x" if bar.withheld else int(bar.total)
        share = None if bar.withheld else _share(bar.through_ce, bar.total)
        rows.append({"sector": bar.sector, "label": label, through: yes, measure: total, "share": share})
    return rows


def _share(part: Any, whole: Any) -> float | None:
    return round(float(part) / whole, 6) if whole else None


def chart_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    """A small CSV (UTF-8 with BOM) with text cells guarded against formulas."""
    columns = columns or (list(rows[0]) if rows else ["category", "label", "offerings", "share"])
    return table_csv(columns, ([row.get(c) for c in columns] for row in rows))
