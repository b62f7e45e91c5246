"""The submission format, described once.

Everything that needs to know the shape of a submission reads it from here: the
readers (header aliases), the validator (types, codes, ranges), the template
(columns, dropdowns, explanations), the reference tables (code lists with labels
and sort order) and the README. Adding an alias is one line in this file.

The contract itself is ``shared/spec/submission-format.md``; where this module and
that page differ, the page is right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Header and value matching: case, surrounding white space and any run of spaces,
# hyphens, underscores, slashes, dots and parentheses do not matter.
_SEPARATORS = re.compile(r"[\s\-_/.()]+")


def normalize_key(text: str) -> str:
    """The matching key of a header or coded value: ``"Face-to (Face)"`` -> ``"face to face"``."""
    return _SEPARATORS.sub(" ", str(text).strip().lower()).strip()


# SQL twin of normalize_key, used where values are matched column-wise in DuckDB.
NORMALIZE_KEY_SQL = "trim(regexp_replace(lower(trim({expr})), '[\\s\\-_/.()]+', ' ', 'g'))"


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class CodeList:
    name: str
    label: str
    codes: tuple[Code, ...]

    @property
    def values(self) -> list[str]:
        return [c.code for c in self.codes]

    def lookup(self) -> dict[str, str]:
        """Matching key -> code, for every code, label and alias."""
        table: dict[str, str] = {}
        for c in self.codes:
            for spelling in (c.code, c.label, *c.aliases):
                table.setdefault(normalize_key(spelling), c.code)
        return table


def _codes(
    *rows: tuple[str, ...] | tuple[str, str, tuple[str, ...]] | tuple[str, str, tuple[str, ...], str],
) -> tuple[Code, ...]:
    return tuple(Code(*row) for row in rows)


# fmt: off
CODE_LISTS: dict[str, CodeList] = {
    cl.name: cl
    for cl in (
        CodeList(
            "mc_type",
            "Micro-credential type",
            _codes(
                ("pathway", "Pathway", ("bridging", "pathway to qualification"),
                 "A step toward a formal qualification (bridging, laddering)"),
                ("upskilling", "Upskilling", ("update", "professional development", "reskilling"),
                 "Updates an earlier qualification with emerging practice"),
                ("technical_skill", "Technical skill", ("technical", "technical skills"),
                 "A specific technical skill (e.g. a software package)"),
                ("transferable_skill", "Transferable skill",
                 ("transferable", "soft skill", "soft skills", "transferable skills"),
                 "Transferable skills (e.g. communication)"),
                ("teaser", "Teaser", ("recruitment", "taster"),
                 "Showcases and recruits for a larger program"),
                ("assessment_only", "Assessment only", ("assessment only", "direct assessment"),
                 "Direct assessment of existing competence"),
                ("pick_and_choose", "Pick and choose", ("pick n choose", "pick and choose", "custom"),
                 "The learner assembles a custom program"),
            ),
        ),
        CodeList(
            "delivery_mode",
            "Delivery mode",
            _codes(
                ("online", "Online", ("virtual", "remote", "distance", "online only"),
                 "Delivered entirely online"),
                ("onsite", "On site", ("on site", "in person", "face to face", "f2f", "campus", "classroom"),
                 "Delivered in person"),
                ("blended", "Blended", ("hybrid", "online and onsite", "mixed", "blended learning"),
                 "A mix of online and in-person delivery"),
            ),
        ),
        CodeList(
            "credit_status",
            "Credit status",
            _codes(
                ("credit", "Credit", ("credit bearing", "for credit", "yes"), "Credit-bearing"),
                ("non_credit", "Non-credit", ("non credit", "noncredit", "not for credit", "no"),
                 "Not credit-bearing"),
            ),
        ),
        CodeList(
            "partner_category",
            "Partner category",
            _codes(
                ("employer_industry", "Employer / industry", ("employer", "industry", "employer industry", "business"),
                 "Employers or industry"),
                ("community", "Community", ("community organization", "non profit", "nonprofit"),
                 "Community organizations and non-profits"),
                ("indigenous_community", "Indigenous community",
                 ("indigenous", "indigenous community", "first nations", "metis", "métis", "inuit", "nation"),
                 "First Nations, Métis or Inuit communities and organizations"),
                ("professional_body", "Professional body",
                 ("professional association", "regulator", "regulatory body"),
                 "Professional associations and regulators"),
                ("other_institution", "Other institution",
                 ("institution", "post secondary", "post secondary institution"),
                 "Another post-secondary institution"),
                ("government", "Government", ("ministry", "health authority", "public sector"),
                 "Ministries, health authorities and the public sector"),
                ("none", "No partner", ("no partner", "n/a", "na"),
                 "No partner (cannot be combined with another category)"),
            ),
        ),
        CodeList(
            "recognition",
            "Recognition",
            _codes(
                ("digital_badge", "Digital badge", ("badge", "open badge"), "A digital or open badge"),
                ("digital_certificate", "Digital certificate", ("e certificate", "electronic certificate"),
                 "An electronic certificate"),
                ("paper_certificate", "Paper certificate", ("certificate", "printed certificate"),
                 "A printed certificate"),
                ("transcript", "Transcript notation", ("transcript notation", "transcript entry"),
                 "A notation on the learner's transcript"),
            ),
        ),
        CodeList(
            "field_of_study",
            "Field of study",
            _codes(
                ("education", "Education"),
                ("arts_communications", "Visual and performing arts, communications",
                 ("arts", "communications", "arts and communications")),
                ("humanities", "Humanities"),
                ("social_sciences_law", "Social and behavioural sciences and law",
                 ("social sciences", "law", "social sciences and law")),
                ("business_management", "Business, management and public administration",
                 ("business", "management", "business and management")),
                ("physical_life_sciences", "Physical and life sciences and technologies",
                 ("sciences", "physical sciences", "life sciences")),
                ("math_computer_science", "Mathematics, computer and information sciences",
                 ("math", "mathematics", "computer science", "computing", "information technology", "it")),
                ("engineering_architecture", "Architecture, engineering and related trades",
                 ("engineering", "architecture", "trades")),
                ("agriculture_natural_resources", "Agriculture, natural resources and conservation",
                 ("agriculture", "natural resources")),
                ("health", "Health and related fields", ("health care", "healthcare", "nursing")),
                ("personal_protective_transport", "Personal, protective and transportation services",
                 ("personal protective transport", "protective services", "transportation")),
                ("other", "Other", ("other fields",)),
            ),
        ),
        CodeList(
            "sector",
            "Sector",
            _codes(
                ("research_university", "Research university"),
                ("teaching_university", "Teaching university"),
                ("college", "College"),
                ("institute", "Institute"),
            ),
        ),
        CodeList(
            "boolean",
            "Yes / no",
            _codes(
                ("yes", "Yes", ("y", "true", "1", "t")),
                ("no", "No", ("n", "false", "0", "f")),
            ),
        ),
    )
}
# fmt: on


# Column kinds: how a raw cell becomes a typed value.
TEXT = "text"
CODE = "code"
CODES = "codes"  # several codes in one cell
BOOLEAN = "boolean"
NUMBER = "number"
INTEGER = "integer"
DATE = "date"
PERIOD = "period"
INSTITUTION = "institution"
TEXT_LIST = "text_list"
NOC_LIST = "noc_list"

SQL_TYPES = {
    TEXT: "VARCHAR",
    CODE: "VARCHAR",
    CODES: "VARCHAR[]",
    BOOLEAN: "BOOLEAN",
    NUMBER: "DOUBLE",
    INTEGER: "BIGINT",
    DATE: "DATE",
    PERIOD: "VARCHAR",
    INSTITUTION: "VARCHAR",
    TEXT_LIST: "VARCHAR",
    NOC_LIST: "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    kind: str
    aliases: tuple[str, ...]
    description: str
    accepted: str  # what is accepted, in words, for messages and the template
    code_list: str | None = None
    example: str = ""
    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False
    max_length: int | None = None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


def _accepted_codes(list_name: str) -> str:
    return "one of " + ", ".join(CODE_LISTS[list_name].values)


BOOLEAN_ACCEPTED = "yes/no, y/n, true/false or 1/0"

# fmt: off
COLUMNS: tuple[Column, ...] = (
    Column("institution_code", True, INSTITUTION, ("institution", "inst code", "institution id", "institution name"),
           "The institution's code (or full name) from the institutions reference",
           "an institution code or full name from the institutions reference", example="BCIT"),
    Column("reporting_period", True, PERIOD,
           ("period", "fiscal year", "fy", "reporting year", "reporting period"),
           "B.C. fiscal year (April 1 to March 31)",
           "a fiscal year such as 2024/25 (also 2024-25, 2024/2025, FY2024/25)", example="2024/25"),
    Column("offering_id", True, TEXT, ("id", "offering code", "course code", "program code", "offering"),
           "The institution's own identifier, unique within institution and period",
           "text, unique within the institution and period", example="MC-1001", max_length=300),
    Column("title", True, TEXT, ("name", "offering title", "micro credential title", "mc title"),
           "The micro-credential's title", "text of 1 to 300 characters",
           example="Foundations of Data Analytics", max_length=300),
    Column("mc_type", True, CODE, ("type", "purpose", "micro credential type", "category", "mc type"),
           "What the micro-credential is for (B.C. typology)", _accepted_codes("mc_type"),
           code_list="mc_type", example="technical_skill"),
    Column("delivery_mode", True, CODE, ("delivery", "mode", "mode of delivery", "format", "delivery method"),
           "How it is delivered", _accepted_codes("delivery_mode"), code_list="delivery_mode", example="online"),
    Column("credit_status", True, CODE, ("credit", "credit bearing", "credit type"),
           "Whether it carries academic credit", _accepted_codes("credit_status"),
           code_list="credit_status", example="non_credit"),
    Column("credits", False, NUMBER, ("credit value", "credit hours", "number of credits"),
           "Credits awarded; only for credit-bearing offerings",
           "a number >= 0, only when credit_status is credit", example="", minimum=0),
    Column("partner_categories", True, CODES,
           ("partners", "partner", "partner category", "partner type", "partner types"),
           "Who it was developed with, separated by ; , or |",
           _accepted_codes("partner_category") + " (several separated by ; , or |; none stands alone)",
           code_list="partner_category", example="employer_industry;community"),
    Column("continuing_education", True, BOOLEAN,
           ("ce", "continuing ed", "offered through ce", "con ed", "continuing studies"),
           "Offered through continuing education", BOOLEAN_ACCEPTED, code_list="boolean", example="yes"),
    Column("duration_hours", True, NUMBER, ("duration", "hours", "duration hrs", "length hours", "length"),
           "Learning hours; the framework sets micro-credentials under 288 hours",
           "a number of hours > 0 and <= 2000 (a unit such as 40 h is fine)",
           example="40", minimum=0, minimum_exclusive=True, maximum=2000),
    Column("assessment", True, BOOLEAN, ("assessed", "has assessment", "assessment required"),
           "Whether learners are assessed (the framework makes assessment necessary)",
           BOOLEAN_ACCEPTED, code_list="boolean", example="yes"),
    Column("recognition", False, CODE, ("credential format", "badge", "issued as"),
           "How the credential is issued", _accepted_codes("recognition"),
           code_list="recognition", example="digital_badge"),
    Column("ladders_to_credential", False, BOOLEAN, ("laddering", "stackable", "pathway to credential"),
           "Whether it ladders or stacks toward a larger credential", BOOLEAN_ACCEPTED,
           code_list="boolean", example="no"),
    Column("prior_learning_recognition", False, BOOLEAN, ("plar", "rpl", "prior learning"),
           "Whether prior learning can be recognized toward it", BOOLEAN_ACCEPTED,
           code_list="boolean", example="no"),
    Column("field_of_study", False, CODE, ("field", "program area", "discipline"),
           "Field of study (Statistics Canada CIP primary grouping)", _accepted_codes("field_of_study"),
           code_list="field_of_study", example="math_computer_science"),
    Column("ministry_funded", False, BOOLEAN, ("funded", "provincial funding"),
           "Whether the ministry funded its development or delivery", BOOLEAN_ACCEPTED,
           code_list="boolean", example="no"),
    Column("competencies", False, TEXT_LIST, ("learning outcomes", "outcomes", "skills"),
           "Competencies or learning outcomes assessed, separated by ;",
           "text, several separated by ;", example="Clean data;Build a dashboard"),
    Column("noc_codes", False, NOC_LIST, ("noc", "occupations", "noc 2021"),
           "NOC 2021 occupation codes the offering prepares for",
           "one to three 5-digit NOC 2021 codes separated by ; or ,", example="21211"),
    Column("enrolments", True, INTEGER,
           ("enrollments", "enrolment", "enrollment", "registrations", "learners enrolled"),
           "Learners enrolled in the period", "a whole number >= 0", example="24", minimum=0),
    Column("completions", True, INTEGER, ("completers", "completed", "credentials awarded"),
           "Learners who completed and were awarded the credential",
           "a whole number >= 0 and not more than enrolments", example="20", minimum=0),
    Column("tuition_cad", False, NUMBER, ("tuition", "fee", "price", "tuition cad"),
           "Tuition in Canadian dollars", "a number >= 0", example="450", minimum=0),
    Column("start_date", False, DATE, ("start", "begins"), "First day of the offering",
           "a date YYYY-MM-DD (or an Excel date cell)", example="2024-09-09"),
    Column("end_date", False, DATE, ("end", "ends"), "Last day of the offering",
           "a date YYYY-MM-DD, not before start_date", example="2024-11-29"),
)
# fmt: on


COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)

# A header row names at least this many known columns.
MIN_HEADER_MATCHES = 4

# Framework rule: micro-credentials run under this many hours.
MAX_MICRO_HOURS = 288

SEVERITY_ERROR = "error"
SEVERITY_WARNING = "warning"


def header_lookup() -> dict[str, str]:
    """Matching key -> canonical column name, for every column name and alias."""
    table: dict[str, str] = {}
    for col in COLUMNS:
        for spelling in (col.name, *col.aliases):
            key = normalize_key(spelling)
            if key in table and table[key] != col.name:
                raise ValueError(f"alias {spelling!r} is claimed by {table[key]} and {col.name}")
            table[key] = col.name
    return table


HEADER_LOOKUP: dict[str, str] = header_lookup()


def match_header(text: object) -> str | None:
    """The canonical column a header cell names, or None."""
    if text is None:
        return None
    return HEADER_LOOKUP.get(normalize_key(str(text)))


@dataclass(frozen=True)
class Metric:
    """A target metric: a share of current offerings (or of enrolments).

    ``numerator_sql`` is the rule, written once: migration 004 materialises it as the
    BOOLEAN, never-NULL column ``column`` of view ``current_offerings`` (and lists it in
    view ``metrics``); the dashboard sums that column and never restates the rule.
    """

    name: str
    label: str
    description: str
    framework: bool
    numerator_sql: str  # boolean SQL over the offering's own columns ("" when not a share of offerings)
    column: str | None  # its column in current_offerings; None when it is not a per-offering flag
    default_comparator: str
    default_value: float
    default_source: str
    unit_of: str = "offerings"  # what the share counts by default


# fmt: off
METRICS: tuple[Metric, ...] = (
    Metric("duration_compliance", f"Under {MAX_MICRO_HOURS} hours",
           f"Share of offerings that run under {MAX_MICRO_HOURS} hours", True,
           f"duration_hours < {MAX_MICRO_HOURS}", "under_duration", ">=", 1.0, "B.C. framework (2021)"),
    Metric("assessment_share", "Assessed", "Share of offerings that include assessment", True,
           "assessment", "assessed", ">=", 1.0, "B.C. framework (2021)"),
    Metric("partner_alignment", "Partner-aligned", "Share of offerings that name a partner category other than none",
           True, "NOT list_contains(partner_categories, 'none')", "partner_aligned", ">=", 1.0,
           "B.C. framework (2021)"),
    Metric("ce_share", "Continuing education", "Share of offerings delivered through continuing education", False,
           "continuing_education", "continuing_education", "<=", 0.60, "illustrative"),
    Metric("credit_share", "Credit-bearing", "Share of offerings that are credit-bearing", False,
           "credit_status = 'credit'", "credit_bearing", ">=", 0.30, "illustrative"),
    Metric("indigenous_partner_share", "Indigenous partner",
           "Share of offerings with an Indigenous community partner", False,
           "list_contains(partner_categories, 'indigenous_community')", "indigenous_partner", ">=", 0.10,
           "illustrative"),
    Metric("online_or_blended_share", "Online or blended", "Share of offerings that are online or blended", False,
           "delivery_mode IN ('online', 'blended')", "online_or_blended", ">=", 0.50, "illustrative"),
    Metric("laddering_share", "Ladders to a credential", "Share of offerings that ladder to a credential", False,
           "coalesce(ladders_to_credential, false)", "ladders", ">=", 0.40, "illustrative"),
    Metric("completion_rate", "Completion rate", "Completions as a share of enrolments", False,
           "", None, ">=", 0.70, "illustrative", unit_of="enrolments"),
)
# fmt: on


METRICS_BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}

# Columns of current_offerings since migration 002 that flag a broken framework rule:
# column -> the metric whose rule it negates.
BREACH_COLUMNS: dict[str, str] = {
    "over_duration": "duration_compliance",
    "no_assessment": "assessment_share",
    "no_partner": "partner_alignment",
}
# All framework rules met.
COMPLIANT_COLUMN = "compliant"


def metric_flag_sql(metric: Metric) -> str:
    """The metric's rule as a BOOLEAN that is never NULL."""
    return f"coalesce({metric.numerator_sql}, false)"


def _select_list(items: list[tuple[str, str]]) -> str:
    return ",\n    ".join(f"{expr} AS {name}" for name, expr in items)


def migration_placeholders() -> dict[str, str]:
    """SQL that migrations take from this module, by placeholder name (``{{ name }}`` in a
    migration file, see etl/warehouse.py). A rule changed here reaches an existing warehouse
    only through a new migration that uses the placeholder again."""
    flags = {m.name: metric_flag_sql(m) for m in METRICS if m.column}
    framework = [m for m in METRICS if m.framework]
    return {
        "breach_columns": _select_list([(col, f"NOT {flags[name]}") for col, name in BREACH_COLUMNS.items()]),
        "metric_columns": _select_list(
            [(m.column, flags[m.name]) for m in METRICS if m.column and m.column != m.numerator_sql]
            + [(COMPLIANT_COLUMN, " AND ".join(flags[m.name] for m in framework))]
        ),
    }


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    sector: str
    region: str


@dataclass
class Issue:
    """One problem found in a submission file."""

    severity: str  # SEVERITY_ERROR or SEVERITY_WARNING
    message: str
    # where: the file, its sheet, the row number as the institution sees it in its own file, the column
    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    # what: the value found and what is accepted there
    value: str | None = None
    expected: str | None = None
    rule: str = field(default="")

    def as_dict(self) -> dict[str, str | int | None]:
        return {
            "severity": self.severity,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
            "rule": self.rule,
            "message": self.message,
        }
