"""The explorer's and the offering exports' columns: one allow-list, read by the page state
(``dashboard.data.state.ExploreState``: ``columns=``, ``q-<column>=``, ``sort=``), the SQL of
``dashboard.data.explore`` and the grid's column definitions.

Each column says once what it is: its SQL expression over the explorer's relation (written
here, never taken from a request), its kind (which filter operators apply), the header the
screen shows, whether the grid shows it by default, which part of a row it is (a column of the
submission format, a reference or compliance column, or one of the file the row came in: an
export has the first two by default) and, for a coded column, the vocabulary parameter whose
labels the screen shows in place of the codes. Plain Python (no duckdb,
pandas or dash): the command line reads it.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Kind = Literal["text", "number", "date", "yesno"]
Part = Literal["format", "reference", "file"]


class Column(NamedTuple):
    sql: str  # expression over dashboard.data.explore.RELATION, as text (codes; yes/no for booleans)
    kind: Kind  # text, number, date or yesno: which filter operators apply
    header: str  # what the screen calls it (and an export with headers=labels)
    shown: bool  # in the grid by default
    part: Part  # a column of the submission format, a reference or compliance column, or of the file it came in
    coded: str | None = None  # the vocabulary parameter whose labels the screen shows instead of codes


def _yes_no(column: str) -> str:
    return f"CASE WHEN {column} THEN 'yes' WHEN NOT {column} THEN 'no' END"


PARTNERS = "partner_categories"  # the one list column: codes joined with ';'

# fmt: off  (one column a line, read as a table)
GRID_COLUMNS: dict[str, Column] = {
    "institution_code": Column("institution_code", "text", "Institution", True, "format"),
    "institution_name": Column("institution_name", "text", "Institution name", False, "reference"),
    "reporting_period": Column("reporting_period", "text", "Fiscal year", True, "format"),
    "offering_id": Column("offering_id", "text", "Offering ID", True, "format"),
    "title": Column("title", "text", "Title", True, "format"),
    "mc_type": Column("mc_type", "text", "Type", True, "format", "type"),
    "delivery_mode": Column("delivery_mode", "text", "Delivery", True, "format", "delivery"),
    "credit_status": Column("credit_status", "text", "Credit status", True, "format", "credit"),
    "credits": Column("credits", "number", "Credits", False, "format"),
    PARTNERS: Column(
        "array_to_string(partner_categories, ';')", "text", "Partner categories", True, "format", "partner"
    ),
    "continuing_education": Column(_yes_no("continuing_education"), "yesno", "Continuing ed.", True, "format"),
    "duration_hours": Column("duration_hours", "number", "Hours", True, "format"),
    "assessment": Column(_yes_no("assessment"), "yesno", "Assessed", False, "format"),
    "recognition": Column("recognition", "text", "Recognition", False, "format"),
    "ladders_to_credential": Column(_yes_no("ladders_to_credential"), "yesno", "Ladders", False, "format"),
    "prior_learning_recognition": Column(_yes_no("prior_learning_recognition"), "yesno", "PLAR", False, "format"),
    "field_of_study": Column("field_of_study", "text", "Field of study", True, "format", "field"),
    "ministry_funded": Column(_yes_no("ministry_funded"), "yesno", "Ministry funded", False, "format"),
    "competencies": Column("competencies", "text", "Competencies", False, "format"),
    "noc_codes": Column("noc_codes", "text", "NOC codes", False, "format"),
    "enrolments": Column("enrolments", "number", "Enrolments", True, "format"),
    "completions": Column("completions", "number", "Completions", True, "format"),
    "tuition_cad": Column("tuition_cad", "number", "Tuition (CAD)", False, "format"),
    "start_date": Column("start_date", "date", "Start", False, "format"),
    "end_date": Column("end_date", "date", "End", False, "format"),
    "sector": Column("sector", "text", "Sector", False, "reference", "sector"),
    "region": Column("region", "text", "Region", False, "reference", "region"),
    "over_duration": Column(_yes_no("over_duration"), "yesno", "288 h or more", False, "reference"),
    "no_assessment": Column(_yes_no("no_assessment"), "yesno", "No assessment", False, "reference"),
    "no_partner": Column(_yes_no("no_partner"), "yesno", "No partner", False, "reference"),
    "file_name": Column("file_name", "text", "Submission file", True, "file"),
    "loaded_at": Column("strftime(loaded_at, '%Y-%m-%d %H:%M')", "text", "Loaded at", False, "file"),
}
# fmt: on

# An export's columns when it names none (interfaces.md, "Export endpoints"): the submission-format
# columns in their order (etl.spec.COLUMN_NAMES: tests/dashboard/data/test_registries.py holds the
# two to each other), then the reference and compliance columns.
SUBMISSION_COLUMNS = tuple(name for name, column in GRID_COLUMNS.items() if column.part == "format")
EXPORT_COLUMNS = (*SUBMISSION_COLUMNS, *(name for name, column in GRID_COLUMNS.items() if column.part == "reference"))
# Columns of the submission a row came from: in the grid and in an export that names them.
SUBMISSION_FILE_COLUMNS = tuple(name for name, column in GRID_COLUMNS.items() if column.part == "file")
# The grid's columns by default, in their order.
DEFAULT_SHOWN = tuple(name for name, column in GRID_COLUMNS.items() if column.shown)

# Filter operators per kind (AG Grid's names), and how many values each takes.
TEXT_OPERATORS = ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", "blank", "notBlank")
NO_VALUE_OPERATORS = ("blank", "notBlank")
_COMPARISONS = "equals notEqual lessThan lessThanOrEqual greaterThan greaterThanOrEqual inRange"
COMPARE_OPERATORS = (*_COMPARISONS.split(), *NO_VALUE_OPERATORS)
TWO_VALUE_OPERATORS = ("inRange",)
NEGATED_OPERATORS = ("notContains", "notEqual")  # a coded column: neither its code nor its label matches


def operators(kind: str) -> tuple[str, ...]:
    return TEXT_OPERATORS if kind in ("text", "yesno") else COMPARE_OPERATORS
