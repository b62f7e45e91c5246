"""The one registry of dimensions: every way offerings can be filtered or grouped.

Each entry says once what a dimension is: its URL and command-line parameter, its column
of ``current_offerings``, where its accepted values come from, its label, and its kind:

- ``plain``: one code per offering (``list_contains(?, column)`` filters it);
- ``list``: a list of codes per offering (``partner_categories``: any of them matches);
- ``boolean``: yes or no.

The filter model (``dashboard.data.filters``), the filter card, every GROUP BY, the
exports' file names, the chart downloads and ``mcred export``'s options are all derived
from this table: adding a dimension is one entry here. Plain Python only (no dash, flask
or duckdb), so the command line can read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["plain", "list", "boolean"]

PERIOD = "period"  # the one dimension with a default (the latest fiscal year) and the value "all"
ALL_PERIODS = "all"
BOOLEAN_VALUES = ("yes", "no")
NOT_REPORTED = "not_reported"  # the category of an offering that leaves an optional column empty
NOT_REPORTED_LABEL = "Not reported"

# Where a dimension's accepted values come from (besides a list of the `codes` view).
FROM_PERIODS = "periods"  # fiscal years with a current submission
FROM_INSTITUTIONS = "institutions"  # the institutions reference
FROM_LABELS = "labels"  # the two labels of a boolean dimension


@dataclass(frozen=True)
class Dimension:
    param: str  # URL query and `mcred export --<param>` name
    column: str  # column of current_offerings
    kind: Kind
    label: str  # short label: filter card, split menu, summaries
    title: str  # long label: chart and comparison titles
    values: str  # a code list of the `codes` view, or FROM_PERIODS / FROM_INSTITUTIONS / FROM_LABELS
    help: str  # what `mcred export --<param>` accepts
    primary: bool = False  # in the filter card's first row (the others under "More filters")
    optional: bool = False  # the column may be empty: grouped as NOT_REPORTED
    yes_no_labels: tuple[str, str] = ("Yes", "No")  # boolean dimensions: labels of yes and no

    def group_sql(self) -> str:
        """The SQL expression of an offering's category (``unnest`` for a list: one row per code)."""
        if self.kind == "list":
            return f"unnest({self.column})"
        if self.kind == "boolean":
            return f"CASE WHEN {self.column} THEN 'yes' ELSE 'no' END"
        if self.optional:
            return f"coalesce({self.column}, '{NOT_REPORTED}')"
        return self.column

    def category_sql(self, code: str) -> tuple[str, list[str]]:
        """(condition, params): the offering is in category ``code`` (a list counts in each it names)."""
        if self.kind == "boolean":
            return (self.column if code == "yes" else f"NOT {self.column}"), []
        if self.kind == "list":
            return f"list_contains({self.column}, ?)", [code]
        if code == NOT_REPORTED and self.optional:
            return f"{self.column} IS NULL", []
        return f"{self.column} = ?", [code]


# fmt: off  (one dimension an entry, read as a table)
DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "period",
        "reporting_period",
        "plain",
        "Fiscal year",
        "Fiscal year",
        FROM_PERIODS,
        "fiscal years, e.g. 2024/25 (or all; default: the latest)",
        primary=True,
    ),
    Dimension(
        "institution",
        "institution_code",
        "plain",
        "Institution",
        "Institution",
        FROM_INSTITUTIONS,
        "institution codes",
        primary=True,
    ),
    Dimension(
        "sector",
        "sector",
        "plain",
        "Sector",
        "Sector",
        "sector",
        "research_university, teaching_university, college, institute",
        primary=True,
    ),
    Dimension(
        "region", "region", "plain", "Region", "Region", "region", "regions of the institutions reference", primary=True
    ),
    Dimension("type", "mc_type", "plain", "Type", "Micro-credential type", "mc_type", "micro-credential type codes"),
    Dimension(
        "delivery", "delivery_mode", "plain", "Delivery mode", "Delivery mode", "delivery_mode", "delivery mode codes"
    ),
    Dimension(
        "credit", "credit_status", "plain", "Credit status", "Credit status", "credit_status", "credit status codes"
    ),
    Dimension(
        "partner",
        "partner_categories",
        "list",
        "Partner category",
        "Partner category",
        "partner_category",
        "partner category codes",
    ),
    Dimension(
        "field",
        "field_of_study",
        "plain",
        "Field of study",
        "Field of study",
        "field_of_study",
        "field of study codes",
        optional=True,
    ),
    Dimension(
        "ce",
        "continuing_education",
        "boolean",
        "Continuing education",
        "Continuing education",
        FROM_LABELS,
        "continuing education: yes or no",
        yes_no_labels=("Continuing education", "Not continuing education"),
    ),
    Dimension(
        "funded",
        "ministry_funded",
        "boolean",
        "Ministry funded",
        "Ministry funded",
        FROM_LABELS,
        "ministry funded: yes or no",
        yes_no_labels=("Ministry funded", "Not ministry funded"),
    ),
)
# fmt: on

BY_PARAM: dict[str, Dimension] = {d.param: d for d in DIMENSIONS}
PARAMETERS: tuple[str, ...] = tuple(BY_PARAM)
# The dimensions of the reference data, not of an offering's content: reporting follows
# these (a submission has an institution, hence a sector and a region).
LOCATION = ("institution", "sector", "region")


def dimension(param: str) -> Dimension:
    """The dimension of a parameter; ValueError naming the accepted ones otherwise."""
    try:
        return BY_PARAM[param]
    except KeyError:
        raise ValueError(f"unknown dimension {param!r}: dimensions are {', '.join(PARAMETERS)}") from None
