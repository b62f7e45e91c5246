"""Synthetic submissions: a realistic, deterministic provincial picture (``mcred sample``).

:func:`write_sample` writes what the 25 institutions might have sent for fiscal years
2021/22 to 2025/26, as the files a ministry actually receives: CSV in several
encodings and delimiters, XLSX with title rows and extra sheets, headers and values
spelled the way each institution spells them (always within the aliases of
``etl.spec``, so everything that should load does).

The picture has a shape worth looking at on the dashboard: uptake grows year on
year; colleges and institutes offer most through continuing education, research
universities offer more for credit, teaching universities sit in between; each
institution leans toward its own fields; a few offerings break the framework rules
(288 hours or more, no assessment, no partner).

And it has the troubles a ministry meets (the *scenario*, below): institutions that
have not reported yet, files that are rejected, a rejected file followed by a
corrected one, an accepted file superseded by a revised one, a file holding two
fiscal years, an unknown column, a repeated title. Files are named
``<first fiscal year>_<INSTITUTION>_<n>`` so ``mcred load <folder>`` reads a
resubmission after the file it replaces.

Same seed, same bytes: all randomness comes from ``numpy.random.default_rng`` seeded
with the seed (one stream per institution and year, so the scale of one institution
does not shift another's data), and XLSX files carry fixed timestamps.

Generation is column-wise (numpy, then pyarrow for text), so two million offerings
take seconds; big files are written as CSV because writing XLSX cell by cell is slow.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl import spec
from etl.config import DEFAULT_DATA_DIR
from etl.reference import read_institutions

DEFAULT_SEED = 2024
DEFAULT_OFFERINGS = 4_000
YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)  # first calendar year of each fiscal year

# Files bigger than this are written as CSV even for institutions that send XLSX.
XLSX_MAX_ROWS = 5_000
# Fixed timestamps keep XLSX bytes identical from run to run.
FIXED_TIME = dt.datetime(2025, 1, 1, 0, 0, 0)
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
# A name write_sample may overwrite or remove (never any other file in the folder).
SAMPLE_FILE_NAME = re.compile(r"^\d{4}_[A-Za-z0-9]+_\d+\.(csv|xlsx)$")

ProgressCallback = Callable[[int, int, str], None]


# --- the scenario ------------------------------------------------------------------
# Which (institution, fiscal year) pairs are special. Codes absent from the
# institutions reference are simply skipped.

NOT_REPORTED: frozenset[tuple[str, int]] = frozenset({
    ("CMTN", 2025), ("NLC", 2025), ("ECUAD", 2025),  # not reported the latest year yet
    ("COTR", 2022),  # never reported an older year
})
# One file holding several fiscal years (the contract allows it).
COMBINED_YEARS: dict[str, tuple[int, ...]] = {"NVIT": (2021, 2022)}
# Rejected and never corrected: the pair stays "rejected" on the dashboard.
REJECTED_ONLY: dict[tuple[str, int], str] = {("SEL", 2025): "missing_column", ("NIC", 2024): "bad_values"}
# Rejected, then a corrected file for the same pair.
CORRECTED: dict[tuple[str, int], str] = {("CAM", 2024): "bad_values_and_dates"}
# Accepted, then a revised file (final figures, late additions) that supersedes it.
REVISED: frozenset[tuple[str, int]] = frozenset({("UBC", 2023)})
LATE_ADDITIONS = 3
# Accepted with a warning: one title listed twice.
REPEATED_TITLE: frozenset[tuple[str, int]] = frozenset({("VIU", 2023)})


# --- how big, and how each sector behaves ------------------------------------------

# Offerings per year relative to the latest year: uptake grows.
OFFERING_GROWTH = {2021: 0.45, 2022: 0.62, 2023: 0.78, 2024: 0.9, 2025: 1.0}
# Learners per offering grow too, more slowly.
ENROLMENT_GROWTH = {2021: 0.8, 2022: 0.88, 2023: 0.96, 2024: 1.05, 2025: 1.12}
# Share of offerings that were ministry-funded: high while the first funding rounds ran.
FUNDED_SHARE = {2021: 0.45, 2022: 0.4, 2023: 0.32, 2024: 0.26, 2025: 0.22}
# Online delivery gives way to blended after the pandemic years: (online, onsite, blended).
DELIVERY_BY_YEAR = {2021: (0.58, 0.22, 0.20), 2022: (0.5, 0.27, 0.23), 2023: (0.44, 0.3, 0.26),
                    2024: (0.4, 0.31, 0.29), 2025: (0.38, 0.31, 0.31)}

# Relative portfolio size (offerings per year) of each institution; 1.0 when absent.
INSTITUTION_SIZE = {
    "UBC": 3.0, "SFU": 2.2, "UVIC": 1.6, "UNBC": 0.6, "CAPU": 1.0, "ECUAD": 0.4, "KPU": 1.6, "RRU": 1.2,
    "TRU": 1.5, "UFV": 1.0, "VIU": 1.0, "CAM": 1.3, "CNC": 0.7, "CMTN": 0.4, "COTR": 0.5, "DOUG": 1.2,
    "LANG": 1.0, "NIC": 0.6, "NLC": 0.4, "OC": 1.1, "SEL": 0.6, "VCC": 1.0, "BCIT": 2.5, "JIBC": 1.0, "NVIT": 0.3,
}

FIELDS: tuple[str, ...] = tuple(spec.CODE_LISTS["field_of_study"].values)
MC_TYPES: tuple[str, ...] = tuple(spec.CODE_LISTS["mc_type"].values)
DELIVERY_MODES: tuple[str, ...] = ("online", "onsite", "blended")
RECOGNITIONS: tuple[str, ...] = tuple(spec.CODE_LISTS["recognition"].values)
# Partner categories other than none, one bit each in a partner mask (mask 0 = none).
PARTNERS: tuple[str, ...] = ("employer_industry", "community", "indigenous_community", "professional_body",
                             "other_institution", "government")


@dataclass(frozen=True)
class SectorProfile:
    credit_share: float
    ce_share_non_credit: float  # chance a non-credit offering runs through continuing education
    ce_share_credit: float
    median_enrolment: float
    type_weights: dict[str, float]
    field_weights: dict[str, float]


SECTORS: dict[str, SectorProfile] = {
    "research_university": SectorProfile(
        0.5, 0.65, 0.05, 26,
        {"pathway": 18, "upskilling": 32, "technical_skill": 25, "transferable_skill": 12, "teaser": 5,
         "assessment_only": 3, "pick_and_choose": 5},
        {"education": 6, "arts_communications": 5, "humanities": 5, "social_sciences_law": 10,
         "business_management": 14, "physical_life_sciences": 9, "math_computer_science": 16,
         "engineering_architecture": 9, "agriculture_natural_resources": 5, "health": 14,
         "personal_protective_transport": 2, "other": 5}),
    "teaching_university": SectorProfile(
        0.32, 0.8, 0.1, 20,
        {"pathway": 15, "upskilling": 28, "technical_skill": 30, "transferable_skill": 15, "teaser": 6,
         "assessment_only": 3, "pick_and_choose": 3},
        {"education": 8, "arts_communications": 6, "humanities": 4, "social_sciences_law": 10,
         "business_management": 16, "physical_life_sciences": 5, "math_computer_science": 13,
         "engineering_architecture": 7, "agriculture_natural_resources": 5, "health": 14,
         "personal_protective_transport": 6, "other": 6}),
    "college": SectorProfile(
        0.18, 0.95, 0.25, 16,
        {"pathway": 12, "upskilling": 25, "technical_skill": 38, "transferable_skill": 17, "teaser": 5,
         "assessment_only": 2, "pick_and_choose": 1},
        {"education": 8, "arts_communications": 4, "humanities": 2, "social_sciences_law": 8,
         "business_management": 15, "physical_life_sciences": 3, "math_computer_science": 10,
         "engineering_architecture": 14, "agriculture_natural_resources": 6, "health": 17,
         "personal_protective_transport": 10, "other": 3}),
    "institute": SectorProfile(
        0.22, 0.92, 0.2, 18,
        {"pathway": 12, "upskilling": 30, "technical_skill": 40, "transferable_skill": 10, "teaser": 3,
         "assessment_only": 4, "pick_and_choose": 1},
        {"education": 3, "arts_communications": 2, "humanities": 1, "social_sciences_law": 6,
         "business_management": 12, "physical_life_sciences": 4, "math_computer_science": 12,
         "engineering_architecture": 20, "agriculture_natural_resources": 5, "health": 15,
         "personal_protective_transport": 18, "other": 2}),
}

# What an institution is known for: multipliers on its sector's field weights.
INSTITUTION_FOCUS: dict[str, dict[str, float]] = {
    "ECUAD": {"arts_communications": 8},
    "JIBC": {"personal_protective_transport": 4, "social_sciences_law": 2},
    "NVIT": {"social_sciences_law": 2, "agriculture_natural_resources": 2, "health": 1.5},
    "RRU": {"business_management": 2.5, "social_sciences_law": 1.5},
    "UNBC": {"agriculture_natural_resources": 3, "health": 1.5},
    "BCIT": {"engineering_architecture": 1.5, "math_computer_science": 1.5},
    "VCC": {"personal_protective_transport": 2, "health": 1.5},
    "NLC": {"engineering_architecture": 2, "agriculture_natural_resources": 2},
    "CMTN": {"agriculture_natural_resources": 2},
    "SEL": {"agriculture_natural_resources": 2},
    "LANG": {"arts_communications": 2},
    "CAPU": {"arts_communications": 2},
    "KPU": {"business_management": 1.4, "agriculture_natural_resources": 1.5},
    "UFV": {"agriculture_natural_resources": 1.5},
}
# Share of offerings with an Indigenous community partner, where it stands out.
INDIGENOUS_PARTNER_SHARE: dict[str, float] = {"NVIT": 0.75, "UNBC": 0.25, "CMTN": 0.3, "NLC": 0.2}
DEFAULT_INDIGENOUS_PARTNER_SHARE = 0.1
# Fields usually taught in person (trades, health, protective services).
HANDS_ON_FIELDS = ("engineering_architecture", "health", "personal_protective_transport")


# --- titles, competencies, occupations ----------------------------------------------

TOPICS: dict[str, tuple[str, ...]] = {
    "education": ("Early Childhood Education", "Inclusive Classroom Practice", "Online Course Design",
                  "Indigenous Pedagogies", "Educational Technology", "Adult Learning", "Literacy Instruction",
                  "Trauma-Informed Teaching", "Assessment Design", "Special Education Support"),
    "arts_communications": ("Digital Storytelling", "Graphic Design", "Podcast Production", "UX Writing",
                            "Social Media Content", "Photography", "Video Editing", "Technical Writing",
                            "Public Relations", "3D Animation"),
    "humanities": ("Indigenous Language Revitalization", "Intercultural Communication", "Applied Ethics",
                   "Professional French", "Heritage Interpretation", "Plain Language Writing", "Critical Thinking",
                   "Métis Histories and Perspectives", "Translation Practice", "Local History Research"),
    "social_sciences_law": ("Community Mental Health", "Restorative Justice", "Conflict Resolution",
                            "Family Law", "Policy Analysis", "Equity, Diversity and Inclusion",
                            "Reconciliation in the Workplace", "Harm Reduction", "Immigration Law",
                            "Survey Research Methods"),
    "business_management": ("Project Management", "Supply Chain Management", "Digital Marketing", "Bookkeeping",
                            "Human Resources", "Leadership", "Entrepreneurship", "Business Analytics",
                            "Indigenous Business Development", "Sustainable Business Practices", "Procurement",
                            "Customer Experience"),
    "physical_life_sciences": ("Laboratory Safety", "Environmental Monitoring", "Water Quality Analysis",
                               "Bioinformatics", "Climate Science", "Microscopy", "Food Science",
                               "Laboratory Quality Assurance", "Geospatial Analysis", "Clean Energy Technologies"),
    "math_computer_science": ("Data Analytics", "Python Programming", "Cybersecurity", "Cloud Computing",
                              "Machine Learning", "Web Development", "Database Design", "Network Administration",
                              "AI Literacy", "Data Visualization", "DevOps"),
    "engineering_architecture": ("Building Information Modelling", "Electrical Code", "Welding Inspection",
                                 "Energy-Efficient Construction", "Heat Pump Installation",
                                 "Electric Vehicle Maintenance", "Mass Timber Construction", "Industrial Automation",
                                 "Surveying", "Passive House Design"),
    "agriculture_natural_resources": ("Wildfire Management", "Regenerative Agriculture", "Forest Ecology",
                                      "Sustainable Aquaculture", "Land Stewardship", "Invasive Species Management",
                                      "Greenhouse Production", "Fisheries Monitoring", "Silviculture",
                                      "Food Security"),
    "health": ("Mental Health First Aid", "Dementia Care", "Infection Prevention and Control",
               "Medical Device Reprocessing", "Palliative Care", "Pharmacy Assistant Practice", "Health Informatics",
               "Cultural Safety in Health Care", "Wound Care", "Perioperative Nursing", "Long-Term Care"),
    "personal_protective_transport": ("Emergency Management", "Commercial Driving", "Crisis Intervention",
                                      "Food Safety", "Café and Bistro Operations", "Tourism and Hospitality",
                                      "Fire Investigation", "Security Operations", "Marine Navigation",
                                      "Paramedic Skills"),
    "other": ("Career Readiness", "Workplace Essentials", "Financial Literacy", "Sustainability Literacy",
              "Volunteer Management", "Indigenous Perspectives", "Remote Work Skills", "Workplace Wellness"),
}
TITLE_FORMATS: tuple[str, ...] = ("Foundations of {t}", "Applied {t}", "{t} Essentials", "Introduction to {t}",
                                  "Advanced {t}", "{t} in Practice", "Practical {t}", "{t}: Tools and Techniques")
AUDIENCE_FORMAT: dict[str, str] = {
    "education": "{t} for Educators", "arts_communications": "{t} for Creative Professionals",
    "humanities": "{t} for Public Servants", "social_sciences_law": "{t} for Community Practitioners",
    "business_management": "{t} for Managers", "physical_life_sciences": "{t} for Lab Technicians",
    "math_computer_science": "{t} for Non-Programmers", "engineering_architecture": "{t} for Site Supervisors",
    "agriculture_natural_resources": "{t} for Land Managers", "health": "{t} for Healthcare Teams",
    "personal_protective_transport": "{t} for First Responders", "other": "{t} for the Workplace",
}
COMPETENCY_TEMPLATES: tuple[str, ...] = (
    "Explain the core concepts of {t}", "Apply {t} methods to a workplace problem",
    "Use current {t} tools safely and effectively", "Communicate {t} results to colleagues and clients",
    "Evaluate {t} practice against professional standards", "Plan a small {t} project",
)
# Which 2 to 4 competency templates an offering lists (indexes into COMPETENCY_TEMPLATES).
COMPETENCY_SETS: tuple[tuple[int, ...], ...] = ((0, 1), (0, 2, 3), (1, 4), (0, 1, 5), (2, 3, 4, 5), (1, 3))
# NOC 2021 occupations that a field's offerings prepare for.
NOC_BY_FIELD: dict[str, tuple[str, ...]] = {
    "education": ("42202", "41221", "43100", "41210"),
    "arts_communications": ("52120", "51111", "52112", "52110"),
    "humanities": ("51114", "51100", "41200"),
    "social_sciences_law": ("42201", "41300", "42200", "41301"),
    "business_management": ("11100", "11200", "13100", "12100"),
    "physical_life_sciences": ("22100", "21101", "22110", "21110"),
    "math_computer_science": ("21211", "21232", "21222", "22220", "21220"),
    "engineering_architecture": ("72200", "72106", "22300", "21300", "72310"),
    "agriculture_natural_resources": ("22112", "21111", "22113", "82030"),
    "health": ("31301", "32101", "33102", "44101"),
    "personal_protective_transport": ("42100", "43200", "73300", "63200", "64410"),
    "other": (),
}


def _build_vocabularies() -> tuple[list[str], np.ndarray, list[str], list[str],
                                   tuple[list[str], dict[str, list[int]]]]:
    """Every topic, its field, every (topic, format) title, every competency list, every NOC list."""
    topics, topic_field = [], []
    for f in FIELDS:
        for t in TOPICS[f]:
            topics.append(t)
            topic_field.append(FIELDS.index(f))
    titles = [fmt.format(t=t) for t, f in zip(topics, topic_field)
              for fmt in (*TITLE_FORMATS, AUDIENCE_FORMAT[FIELDS[f]])]
    competencies = [";".join(COMPETENCY_TEMPLATES[i].format(t=t) for i in chosen)
                    for t in topics for chosen in COMPETENCY_SETS]
    nocs: list[str] = []
    noc_ids: dict[str, list[int]] = {}
    for f in FIELDS:
        codes = NOC_BY_FIELD[f]
        lists = [(c,) for c in codes] + [(a, b) for a, b in zip(codes, codes[1:])]
        noc_ids[f] = list(range(len(nocs), len(nocs) + len(lists)))
        nocs.extend(";".join(x) for x in lists)
    return topics, np.array(topic_field), titles, competencies, (nocs, noc_ids)


TOPIC_NAMES, TOPIC_FIELD, TITLE_VOCAB, COMPETENCY_VOCAB, (NOC_VOCAB, NOC_IDS_BY_FIELD) = _build_vocabularies()
FORMATS_PER_TOPIC = len(TITLE_FORMATS) + 1
# First topic index of each field: a field's titles are a contiguous block of TITLE_VOCAB.
FIELD_FIRST_TOPIC = np.array([int(np.argmax(TOPIC_FIELD == i)) for i in range(len(FIELDS))])
FIELD_TOPIC_COUNT = np.array([len(TOPICS[f]) for f in FIELDS])
ACCENTED_TOPICS = np.array([i for i, t in enumerate(TOPIC_NAMES) if not t.isascii()])


# --- how each institution's files look ----------------------------------------------

# Header spellings, in each house's column order. Every one is an alias in etl.spec.
HEADER_SETS: dict[str, dict[str, str]] = {
    "canonical": {c: c for c in spec.COLUMN_NAMES},
    "upper": {c: c.upper() for c in spec.COLUMN_NAMES},
    "titled": {
        "institution_code": "Institution Code", "reporting_period": "Reporting Period",
        "offering_id": "Offering ID", "title": "Title", "mc_type": "Micro-credential Type",
        "delivery_mode": "Delivery Mode", "credit_status": "Credit Status", "credits": "Credits",
        "partner_categories": "Partner Categories", "continuing_education": "Continuing Education",
        "duration_hours": "Duration (hours)", "assessment": "Assessment", "recognition": "Recognition",
        "ladders_to_credential": "Ladders to Credential", "prior_learning_recognition": "Prior Learning Recognition",
        "field_of_study": "Field of Study", "ministry_funded": "Ministry Funded", "competencies": "Competencies",
        "noc_codes": "NOC Codes", "enrolments": "Enrolments", "completions": "Completions",
        "tuition_cad": "Tuition (CAD)", "start_date": "Start Date", "end_date": "End Date",
    },
    "friendly": {
        "institution_code": "Institution", "reporting_period": "Fiscal Year", "offering_id": "Course Code",
        "title": "Micro-credential Title", "field_of_study": "Program area", "mc_type": "Type",
        "delivery_mode": "Mode of delivery", "duration_hours": "Duration (hours)", "credit_status": "Credit bearing",
        "credits": "Credit value", "continuing_education": "Continuing Ed", "partner_categories": "Partner type",
        "assessment": "Assessed", "recognition": "Issued as", "ladders_to_credential": "Stackable",
        "prior_learning_recognition": "PLAR", "ministry_funded": "Provincial funding",
        "competencies": "Learning outcomes", "noc_codes": "NOC 2021", "start_date": "Start", "end_date": "End",
        "tuition_cad": "Tuition", "enrolments": "Enrollments", "completions": "Completers",
    },
    "report": {
        "institution_code": "Inst Code", "reporting_period": "Reporting Year", "offering_id": "Program Code",
        "title": "Name", "mc_type": "Category", "delivery_mode": "Format", "credit_status": "Credit Type",
        "credits": "Credit Hours", "partner_categories": "Partners", "continuing_education": "Offered through CE",
        "duration_hours": "Length (hours)", "assessment": "Assessment required", "recognition": "Badge",
        "ladders_to_credential": "Pathway to credential", "prior_learning_recognition": "Prior learning",
        "field_of_study": "Discipline", "ministry_funded": "Funded", "competencies": "Outcomes",
        "noc_codes": "Occupations", "enrolments": "Registrations", "completions": "Credentials awarded",
        "tuition_cad": "Fee", "start_date": "Begins", "end_date": "Ends",
    },
}


@dataclass(frozen=True)
class ValueSet:
    """How one house spells coded values. Every spelling is a code, label or alias in etl.spec."""

    codes: dict[str, dict[str, str]]  # code list -> code -> spelling (missing: the code itself)
    yes_no: tuple[str, str] | None = ("yes", "no")  # None: native Excel booleans in .xlsx
    partner_separator: str = ";"
    noc_separator: str = ";"

    def spell(self, code_list: str, code: str) -> str:
        return self.codes.get(code_list, {}).get(code, code)


_LABELS = {name: {c.code: c.label for c in cl.codes} for name, cl in spec.CODE_LISTS.items()}

VALUE_SETS: dict[str, ValueSet] = {
    "codes": ValueSet({}),
    "labels": ValueSet(_LABELS, ("Yes", "No"), "; "),
    "excel": ValueSet(_LABELS, None, "; "),
    "plain": ValueSet({
        "mc_type": {"pathway": "Bridging", "upskilling": "Professional development", "technical_skill": "Technical",
                    "transferable_skill": "Soft skills", "teaser": "Taster", "assessment_only": "Direct assessment",
                    "pick_and_choose": "Custom"},
        "delivery_mode": {"online": "Online", "onsite": "Face to face", "blended": "hybrid"},
        "credit_status": {"credit": "For credit", "non_credit": "Not for credit"},
        "partner_category": {"employer_industry": "Employer", "community": "Non-profit",
                             "indigenous_community": "First Nations", "professional_body": "Professional association",
                             "other_institution": "Post-secondary", "government": "Health authority",
                             "none": "N/A"},
        "recognition": {"digital_badge": "Open badge", "digital_certificate": "E-certificate",
                        "paper_certificate": "Certificate", "transcript": "Transcript entry"},
        "field_of_study": {"education": "Education", "humanities": "Humanities", "other": "Other",
                           "arts_communications": "Arts", "social_sciences_law": "Social sciences",
                           "business_management": "Business", "physical_life_sciences": "Sciences",
                           "math_computer_science": "Computing", "engineering_architecture": "Trades",
                           "agriculture_natural_resources": "Agriculture", "health": "Healthcare",
                           "personal_protective_transport": "Protective services"},
    }, ("Y", "N"), ", ", ", "),
    "upper": ValueSet({
        "mc_type": {"pathway": "PATHWAY", "upskilling": "UPSKILLING", "technical_skill": "TECHNICAL SKILLS",
                    "transferable_skill": "TRANSFERABLE SKILLS", "teaser": "TEASER",
                    "assessment_only": "ASSESSMENT ONLY", "pick_and_choose": "PICK N CHOOSE"},
        "delivery_mode": {"online": "ONLINE", "onsite": "IN PERSON", "blended": "BLENDED LEARNING"},
        "credit_status": {"credit": "CREDIT BEARING", "non_credit": "NON CREDIT"},
        "partner_category": {"employer_industry": "INDUSTRY", "community": "COMMUNITY ORGANIZATION",
                             "indigenous_community": "INDIGENOUS", "professional_body": "REGULATOR",
                             "other_institution": "INSTITUTION", "government": "PUBLIC SECTOR", "none": "NONE"},
        "recognition": {"digital_badge": "BADGE", "digital_certificate": "ELECTRONIC CERTIFICATE",
                        "paper_certificate": "PRINTED CERTIFICATE", "transcript": "TRANSCRIPT"},
        "field_of_study": {f: f.upper() for f in FIELDS},
    }, ("TRUE", "FALSE"), " | "),
}
# Windows users in a French-speaking office: the Métis partner spelled as such.
VALUE_SETS["plain_accented"] = ValueSet(
    {**VALUE_SETS["plain"].codes,
     "partner_category": {**VALUE_SETS["plain"].codes["partner_category"], "indigenous_community": "Métis"}},
    ("Y", "N"), ", ", ", ")

PERIOD_FORMATS = {
    "short": "{y}/{yy:02d}", "fy": "FY{y}/{yy:02d}", "dash": "{y}-{yy:02d}", "long_dash": "{y}-{y1}",
    "long_slash": "{y}/{y1}",
}
OPTIONAL_COLUMNS = tuple(c.name for c in spec.COLUMNS if not c.required)


@dataclass(frozen=True)
class Dialect:
    """What one institution's files look like."""

    fmt: str = "csv"  # csv | xlsx
    encoding: str = "utf-8"  # utf-8 | utf-8-sig (with BOM) | cp1252
    delimiter: str = ","
    eol: str = "\n"
    headers: str = "canonical"
    values: str = "codes"
    period: str = "short"
    institution_as_name: bool = False
    hours_unit: str = ""  # e.g. " h": duration written as "40 h"
    thousands: bool = False  # "1,200"
    omit: tuple[str, ...] = ()  # optional columns this institution does not report
    id_format: str = "MC{yy:02d}-"  # prefix of offering ids; a zero-padded number follows
    title_rows: bool = False  # .xlsx: a report title above the header row
    cover_sheet: bool = False  # .xlsx: an instructions sheet before the "Offerings" sheet
    extra_column: str | None = None  # an unknown column (warned about, not loaded)
    trailing_empty_column: bool = False  # a trailing delimiter on every line
    blank_rows: int = 0  # empty rows at the end, as Excel leaves them


DIALECTS: dict[str, Dialect] = {
    "UBC": Dialect("xlsx", headers="friendly", values="excel", title_rows=True, id_format="UBC-MC-{y}-"),
    "SFU": Dialect(),
    "UVIC": Dialect(encoding="utf-8-sig", headers="titled", values="plain", period="dash", id_format="UV{yy:02d}"),
    "UNBC": Dialect("xlsx", cover_sheet=True, id_format="NB-{y}-"),
    "CAPU": Dialect(delimiter=";", headers="friendly", values="labels", institution_as_name=True,
                    id_format="CAPU{yy:02d}MC"),
    "ECUAD": Dialect(period="fy", omit=("noc_codes",), id_format="EC{yy:02d}-"),
    "KPU": Dialect(encoding="utf-8-sig", headers="upper", values="upper", hours_unit=" h", id_format="KMC{y}"),
    "RRU": Dialect("xlsx", headers="titled", values="excel", period="long_slash", id_format="RRU-"),
    "TRU": Dialect(delimiter="\t", id_format="TRU-CE-{yy:02d}"),
    "UFV": Dialect(encoding="utf-8-sig", headers="friendly", values="plain", thousands=True, id_format="UFV{yy:02d}"),
    "VIU": Dialect(headers="titled", values="labels", extra_column="Notes", id_format="VIU-MC"),
    "CAM": Dialect(encoding="utf-8-sig", headers="friendly", values="labels", id_format="CAM{yy:02d}-"),
    "CNC": Dialect(encoding="cp1252", eol="\r\n", headers="friendly", values="plain_accented",
                   omit=("competencies",), id_format="CNC-{y}-"),
    "CMTN": Dialect(omit=("tuition_cad", "noc_codes"), id_format="CMTN{yy:02d}"),
    "COTR": Dialect("xlsx", headers="friendly", values="excel", title_rows=True, id_format="COTR-"),
    "DOUG": Dialect(encoding="utf-8-sig", delimiter=";", headers="titled", values="plain", thousands=True,
                    institution_as_name=True, id_format="DC-MC{yy:02d}"),
    "LANG": Dialect(encoding="cp1252", eol="\r\n", headers="titled", values="plain_accented", period="fy",
                    id_format="LANG{yy:02d}"),
    "NIC": Dialect(id_format="NIC-{y}-"),
    "NLC": Dialect(delimiter="\t", headers="titled", period="long_dash", omit=("competencies", "noc_codes"),
                   id_format="NLC{yy:02d}"),
    "OC": Dialect(encoding="utf-8-sig", headers="upper", values="upper", hours_unit=" hrs", id_format="OC-CS-"),
    "SEL": Dialect(headers="friendly", values="labels", id_format="SEL{yy:02d}-"),
    "VCC": Dialect("xlsx", headers="report", values="excel", id_format="VCC-{y}-"),
    "BCIT": Dialect(encoding="utf-8-sig", headers="report", values="labels", thousands=True, id_format="BCIT-PTS-"),
    "JIBC": Dialect(delimiter=";", headers="friendly", values="labels", trailing_empty_column=True, blank_rows=3,
                    id_format="JI{yy:02d}"),
    "NVIT": Dialect(headers="titled", values="plain", institution_as_name=True, id_format="NVIT-"),
}
DEFAULT_DIALECT = Dialect()
# Excel's own "CSV UTF-8": what an .xlsx house sends when the file is too big for us to write as .xlsx.
EXCEL_CSV = {"encoding": "utf-8-sig", "delimiter": ",", "eol": "\r\n"}


# --- the plan: which files, with which troubles ----------------------------------------


@dataclass(frozen=True)
class PlannedFile:
    stem: str  # file name without extension
    institution: spec.Institution
    years: tuple[int, ...]
    fault: str | None = None  # missing_column, bad_values, bad_values_and_dates or repeated_title
    revised: bool = False  # final figures and late additions, resubmitted


def plan_files(institutions: Sequence[spec.Institution]) -> list[PlannedFile]:
    """Every file of the sample, in load order, following the scenario."""
    planned: list[PlannedFile] = []
    for inst in institutions:
        combined = COMBINED_YEARS.get(inst.code, ())
        for year in YEARS:
            if (inst.code, year) in NOT_REPORTED or year in combined[1:]:
                continue
            years = combined if year in combined else (year,)
            stem = f"{year}_{inst.code}"
            key = (inst.code, year)
            if key in REJECTED_ONLY:
                planned.append(PlannedFile(f"{stem}_1", inst, years, fault=REJECTED_ONLY[key]))
            elif key in CORRECTED:
                planned.append(PlannedFile(f"{stem}_1", inst, years, fault=CORRECTED[key]))
                planned.append(PlannedFile(f"{stem}_2", inst, years))
            elif key in REVISED:
                planned.append(PlannedFile(f"{stem}_1", inst, years))
                planned.append(PlannedFile(f"{stem}_2", inst, years, revised=True))
            else:
                planned.append(PlannedFile(f"{stem}_1", inst, years,
                                           fault="repeated_title" if key in REPEATED_TITLE else None))
    return sorted(planned, key=lambda p: p.stem)


def pair_sizes(institutions: Sequence[spec.Institution], total: int, seed: int) -> dict[tuple[str, int], int]:
    """Offerings per reported (institution, year), about ``total`` in all, shaped by size and growth."""
    rng = np.random.default_rng(_entropy(seed, 0))
    keys = [(i.code, y) for i in institutions for y in YEARS if (i.code, y) not in NOT_REPORTED]
    noise = rng.lognormal(0.0, 0.15, size=len(keys))
    weights = np.array([INSTITUTION_SIZE.get(code, 1.0) * OFFERING_GROWTH[y] for code, y in keys]) * noise
    counts = np.maximum(3, np.rint(total * weights / weights.sum())).astype(int)
    return {k: int(n) for k, n in zip(keys, counts)}


def _entropy(seed: int, *stream: int) -> list[int]:
    # SeedSequence wants non-negative integers; keep negative seeds distinct from positive ones.
    return [abs(seed), int(seed < 0), *stream]


# --- generating offerings, column-wise -------------------------------------------------

Columns = dict[str, np.ndarray]


def generate_offerings(inst: spec.Institution, inst_index: int, year: int, n: int, seed: int) -> Columns:
    """``n`` offerings of one institution in one fiscal year, as numpy columns of codes and numbers.

    Coded columns hold indexes (into FIELDS, MC_TYPES...), -1 where the cell is left
    empty; booleans are 1/0/-1; numbers are NaN where empty; dates NaT where empty.
    """
    rng = np.random.default_rng(_entropy(seed, 1, inst_index, year))
    profile = SECTORS[inst.sector]
    cols: Columns = {"seq": np.arange(1, n + 1)}

    topic, fmt, intake = _titles(rng, inst, profile, n)
    cols.update(topic=topic, format=fmt, intake=intake)
    field_ = TOPIC_FIELD[topic]
    hands_on = np.isin(field_, [FIELDS.index(f) for f in HANDS_ON_FIELDS])

    credit = rng.random(n) < profile.credit_share
    ce_share = np.where(credit, profile.ce_share_credit, profile.ce_share_non_credit)
    cols["credit"] = credit
    cols["ce"] = (rng.random(n) < ce_share).astype(np.int8)

    types = _choose(rng, np.array([profile.type_weights[t] for t in MC_TYPES], dtype=float), n)
    # Credit-bearing micro-credentials are often steps toward a qualification.
    types = np.where(credit & (rng.random(n) < 0.3), MC_TYPES.index("pathway"), types)
    cols["mc_type"] = types

    online, onsite, blended = DELIVERY_BY_YEAR[year]
    if inst.sector in ("college", "institute"):
        online, onsite = online - 0.1, onsite + 0.1
    p = np.tile([online, onsite, blended], (n, 1))
    p[hands_on] += [-0.15, 0.15, 0.0]
    cols["delivery"] = _choose_rows(rng, p)

    credits, hours = _credits_and_hours(rng, credit, n)
    cols["credits"], cols["hours"] = credits, hours
    teaser = types == MC_TYPES.index("teaser")
    cols["assessment"] = (rng.random(n) >= np.where(teaser, 0.15, 0.025)).astype(np.int8)
    cols["partners"] = _partners(rng, inst, field_, n)

    recognition_credit = _choose(rng, np.array([0.2, 0.15, 0.0, 0.65]), n)
    recognition_other = _choose(rng, np.array([0.45, 0.35, 0.15, 0.05]), n)
    cols["recognition"] = _blank(rng, np.where(credit, recognition_credit, recognition_other), 0.05)
    cols["ladders"] = _blank(rng, (rng.random(n) < np.where(credit, 0.65, 0.3)).astype(np.int8), 0.06)
    cols["plar"] = _blank(rng, (rng.random(n) < 0.2).astype(np.int8), 0.1)
    funded = rng.random(n) < FUNDED_SHARE[year]
    cols["funded"] = _blank(rng, funded.astype(np.int8), 0.08)
    cols["field"] = _blank(rng, field_, 0.04)
    cols["competencies"] = _blank(rng, topic * len(COMPETENCY_SETS) + rng.integers(0, len(COMPETENCY_SETS), n), 0.08)
    cols["noc"] = _blank(rng, _noc_lists(rng, field_), 0.3)

    enrolments, completions = _uptake(rng, inst, profile, year, cols["delivery"], types, n)
    cols["enrolments"], cols["completions"] = enrolments, completions
    cols["tuition"] = _tuition(rng, credit, credits, hours, funded)
    cols["start"], cols["end"] = _dates(rng, year, hours, cols["delivery"])
    return cols


def _choose(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(weights), size=n, p=weights / weights.sum())


def _choose_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row, each row with its own probabilities."""
    cumulative = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    return (rng.random(len(probs))[:, None] > cumulative[:, :-1]).sum(axis=1)


def _blank(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """Leave about ``share`` of an optional column empty (-1), as institutions do."""
    return np.where(rng.random(len(values)) < share, -1, values)


def _titles(rng: np.random.Generator, inst: spec.Institution, profile: SectorProfile,
            n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(topic, format, intake) per offering; titles are unique within the submission.

    The k-th offering of a field takes topic ``k mod T`` (in a shuffled order) and a
    format that shifts each time the field's T topics come round again, so the first
    T x F offerings of a field all differ; beyond that a title returns as a further
    intake ("(Intake 2)"), which keeps even huge submissions free of repeated titles.
    """
    focus = INSTITUTION_FOCUS.get(inst.code, {})
    weights = np.array([profile.field_weights[f] * focus.get(f, 1.0) for f in FIELDS])
    field_ = _choose(rng, weights, n)
    k = _rank_within(field_)
    topics = FIELD_TOPIC_COUNT[field_]
    # Row f: a shuffled order of field f's topics (padded to the longest field).
    order = np.zeros((len(FIELDS), FIELD_TOPIC_COUNT.max()), dtype=np.int64)
    for f, count in enumerate(FIELD_TOPIC_COUNT):
        order[f, :count] = rng.permutation(count)
    local = order[field_, k % topics]
    round_ = k // topics
    fmt = (rng.integers(0, FORMATS_PER_TOPIC, len(FIELDS))[field_] + round_ + 2 * (k % topics)) % FORMATS_PER_TOPIC
    return FIELD_FIRST_TOPIC[field_] + local, fmt, round_ // FORMATS_PER_TOPIC


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each group, in row order."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, len(groups)]))
    rank = np.empty(len(groups), dtype=np.int64)
    rank[order] = np.arange(len(groups)) - first
    return rank


def _credits_and_hours(rng: np.random.Generator, credit: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Credit offerings: 0.5 to 3 credits at about 14 hours a credit; others mostly 10 to 120 hours."""
    credits = rng.choice(np.array([0.5, 1.0, 1.5, 3.0]), size=n, p=[0.15, 0.35, 0.25, 0.25])
    credit_hours = credits * 14 * rng.uniform(0.9, 1.25, n)
    other_hours = np.clip(rng.lognormal(np.log(28), 0.6, n), 6, 240)
    hours = np.where(credit, credit_hours, other_hours)
    # A few programs are too long to count as micro-credentials (a compliance warning).
    long = rng.random(n) < 0.015
    hours = np.where(long, rng.uniform(288, 420, n), hours)
    # Whole hours mostly, half hours sometimes.
    hours = np.where(rng.random(n) < 0.88, np.maximum(1, np.rint(hours)), np.rint(hours * 2) / 2)
    # Some credit offerings leave the credit value blank; non-credit ones never give one.
    credits = np.where(credit & (rng.random(n) >= 0.07), credits, np.nan)
    return credits, hours


def _partners(rng: np.random.Generator, inst: spec.Institution, field_: np.ndarray, n: int) -> np.ndarray:
    """A partner mask per offering: bit k for PARTNERS[k]; 0 means no partner."""
    health = field_ == FIELDS.index("health")
    indigenous = INDIGENOUS_PARTNER_SHARE.get(inst.code, DEFAULT_INDIGENOUS_PARTNER_SHARE)
    probs = {
        "employer_industry": np.full(n, 0.6),
        "community": np.full(n, 0.18),
        "indigenous_community": np.full(n, indigenous),
        "professional_body": np.where(health, 0.3, 0.14),
        "other_institution": np.full(n, 0.08),
        "government": np.where(health, 0.35, 0.1),
    }
    mask = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(PARTNERS):
        mask |= (rng.random(n) < probs[name]).astype(np.int64) << bit
    # Offerings that drew no category mostly still name an employer; the rest have none.
    named = rng.random(n) >= 0.06
    mask = np.where((mask == 0) & named, 1, mask)
    return np.where(named, mask, 0)


def _noc_lists(rng: np.random.Generator, field_: np.ndarray) -> np.ndarray:
    """An index into NOC_VOCAB per offering (one or two occupations of its field), -1 when none."""
    out = np.full(len(field_), -1, dtype=np.int64)
    for f_index, f in enumerate(FIELDS):
        ids = NOC_IDS_BY_FIELD[f]
        rows = np.flatnonzero(field_ == f_index)
        if ids and len(rows):
            out[rows] = np.array(ids)[rng.integers(0, len(ids), len(rows))]
    return out


def _uptake(rng: np.random.Generator, inst: spec.Institution, profile: SectorProfile, year: int,
            delivery: np.ndarray, types: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Enrolments (growing over the years) and completions at 60-90 % mostly, never above enrolments."""
    scale = np.array([1.4, 0.8, 1.0])[delivery] * profile.median_enrolment * ENROLMENT_GROWTH[year]
    enrolments = rng.lognormal(np.log(scale), 0.7)
    # A few open online offerings draw crowds.
    crowd = (delivery == DELIVERY_MODES.index("online")) & (rng.random(n) < 0.015)
    enrolments = np.where(crowd, enrolments * 25, enrolments)
    enrolments = np.where(rng.random(n) < 0.01, 0, np.clip(np.rint(enrolments), 1, 3000)).astype(np.int64)
    base = rng.uniform(0.68, 0.82)  # this institution's usual completion rate
    adjust = np.array([-0.08, 0.05, 0.0])[delivery]
    adjust = adjust + np.where(types == MC_TYPES.index("assessment_only"), 0.1, 0.0)
    rate = np.clip(base + adjust + rng.normal(0, 0.07, n), 0.35, 0.98)
    completions = rng.binomial(enrolments, rate)
    return enrolments, completions


def _tuition(rng: np.random.Generator, credit: np.ndarray, credits: np.ndarray, hours: np.ndarray,
             funded: np.ndarray) -> np.ndarray:
    per_credit = np.nan_to_num(credits, nan=1.0) * rng.uniform(130, 190, len(credit))
    per_hour = hours * rng.uniform(12, 28, len(credit))
    tuition = np.rint(np.where(credit, per_credit, per_hour) / 5) * 5
    # Ministry funding often makes the offering free to learners.
    tuition = np.where(funded & (rng.random(len(credit)) < 0.5), 0.0, tuition)
    return np.where(rng.random(len(credit)) < 0.07, np.nan, tuition)


def _dates(rng: np.random.Generator, year: int, hours: np.ndarray,
           delivery: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end inside the fiscal year (April 1 to March 31); both empty sometimes."""
    n = len(hours)
    first = np.datetime64(f"{year}-04-01")
    last = np.datetime64(f"{year + 1}-03-31")
    start = first + rng.integers(0, 330, n).astype("timedelta64[D]")
    per_week = np.where(delivery == DELIVERY_MODES.index("onsite"), rng.uniform(6, 35, n), rng.uniform(3, 12, n))
    weeks = np.ceil(hours / per_week).astype(np.int64)
    end = np.minimum(start + (weeks * 7 - 3).clip(0).astype("timedelta64[D]"), last)
    empty = rng.random(n) < 0.06
    return np.where(empty, np.datetime64("NaT"), start), np.where(empty, np.datetime64("NaT"), end)


def take_rows(cols: Columns, rows: np.ndarray | slice) -> Columns:
    return {name: values[rows] for name, values in cols.items()}


def revise(cols: Columns, seed: int, inst_index: int, year: int) -> Columns:
    """Final figures: late registrations and completions recorded after the first file was sent."""
    rng = np.random.default_rng(_entropy(seed, 2, inst_index, year))
    out = dict(cols)
    n = len(cols["seq"])
    late = rng.random(n) < 0.4
    out["enrolments"] = cols["enrolments"] + np.where(late, rng.integers(1, 6, n), 0)
    more_done = rng.binomial(out["enrolments"] - cols["completions"], 0.3)
    out["completions"] = cols["completions"] + np.where(late, more_done, 0)
    return out


# --- deliberate faults -------------------------------------------------------------------------


def _fault_rows(cols: Columns, seed: int, inst_index: int, year: int, k: int) -> np.ndarray:
    """``k`` distinct rows, chosen once per file, to carry a mistake."""
    rng = np.random.default_rng(_entropy(seed, 3, inst_index, year))
    n = len(cols["seq"])
    return rng.choice(n, size=min(k, n), replace=False)


def _completions_over_enrolments(cols: Columns, rows: np.ndarray) -> Columns:
    """Figures typed in the wrong columns: completions above enrolments."""
    out = dict(cols)
    enrolments, completions = cols["enrolments"].copy(), cols["completions"].copy()
    enrolments[rows] = np.maximum(cols["completions"][rows] - 2, 0)
    completions[rows] = cols["enrolments"][rows] + 2
    out["enrolments"], out["completions"] = enrolments, completions
    return out


def _end_before_start(cols: Columns, rows: np.ndarray, year: int) -> Columns:
    """Start and end swapped by hand."""
    out = dict(cols)
    start, end = cols["start"].copy(), cols["end"].copy()
    start[rows] = np.datetime64(f"{year}-10-01")
    end[rows] = np.datetime64(f"{year}-09-24")
    out["start"], out["end"] = start, end
    return out


# --- rendering: codes and numbers to the cells a house writes ------------------------------------


@dataclass
class Rendered:
    """One submission's cells as a file will hold them."""

    names: list[str]  # canonical column names ("" for a column the format does not know)
    headers: list[str]  # the header text the house writes
    columns: list[pa.Array]
    overrides: dict[str, dict[int, object]] = field(default_factory=dict)  # column -> row -> cell, for mistakes

    def with_overrides(self) -> list[pa.Array]:
        columns = list(self.columns)
        for name, cells in self.overrides.items():
            at = self.names.index(name)
            values = columns[at].to_pylist()
            for row, value in cells.items():
                values[row] = value
            columns[at] = pa.array(values)
        return columns


def _period_text(year: int, style: str) -> str:
    return PERIOD_FORMATS[style].format(y=year, yy=(year + 1) % 100, y1=year + 1)


def _spell(indexes: np.ndarray, vocabulary: Sequence[str]) -> pa.DictionaryArray:
    """Indexes into a vocabulary as a text column; -1 becomes an empty cell.

    The column stays dictionary-encoded so that work per distinct value (CSV quoting)
    is done once per value, not once per cell.
    """
    indexes = np.asarray(indexes, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(indexes, mask=indexes < 0),
                                          pa.array(list(vocabulary), type=pa.string()))


def _repeat(value: str, n: int) -> pa.Array:
    return _spell(np.zeros(n, dtype=np.int32), [value])


def _number_text(values: np.ndarray, thousands: bool) -> pa.Array:
    """Numbers as text, whole numbers without decimals; "1,200" style when the house writes it so."""
    arr = pa.array(values, from_pandas=True)
    text = pc.cast(arr, pa.string())
    if not thousands:
        return text
    big = np.flatnonzero(np.nan_to_num(np.asarray(values, dtype=float), nan=0) >= 1000)
    if not len(big):
        return text
    cells = text.to_pylist()
    for i in big:
        v = float(values[i])
        cells[i] = f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    return pa.array(cells, type=pa.string())


def _titles_column(cols: Columns) -> pa.Array:
    """Titles, with " (Intake 2)"... appended to a title's further intakes."""
    titles = _spell(cols["topic"] * FORMATS_PER_TOPIC + cols["format"], TITLE_VOCAB)
    intake = cols["intake"]
    if not intake.any():
        return titles
    suffixes = [""] + [f" (Intake {k + 1})" for k in range(1, int(intake.max()) + 1)]
    return pc.binary_join_element_wise(titles.dictionary_decode(), _spell(intake, suffixes).dictionary_decode(), "")


def _partner_vocabulary(values: ValueSet) -> list[str]:
    """Partner mask -> the cell text, for all 64 masks."""
    out = []
    for mask in range(1 << len(PARTNERS)):
        codes = [p for bit, p in enumerate(PARTNERS) if mask >> bit & 1] or ["none"]
        out.append(values.partner_separator.join(values.spell("partner_category", c) for c in codes))
    return out


def _boolean(values: np.ndarray, value_set: ValueSet, excel: bool) -> pa.Array:
    if value_set.yes_no is None and excel:
        return pa.array(np.where(values < 0, None, values == 1).tolist(), type=pa.bool_())
    yes, no = value_set.yes_no or ("yes", "no")
    return _spell(values, [no, yes])


def _dates_column(values: np.ndarray, excel: bool) -> pa.Array:
    arr = pa.array(values.astype("datetime64[D]"), type=pa.date32(), from_pandas=True)
    return arr if excel else pc.cast(arr, pa.string())


def render(cols: Columns, inst: spec.Institution, year: int, dialect: Dialect, excel: bool,
           seed: int = DEFAULT_SEED) -> Rendered:
    """The cells of one submission in ``dialect``; for .xlsx, numbers and dates stay typed."""
    n = len(cols["seq"])
    vs = VALUE_SETS[dialect.values]
    fy = {"y": year, "yy": (year + 1) % 100}
    ids = pc.binary_join_element_wise(
        dialect.id_format.format(**fy),
        pc.utf8_lpad(pc.cast(pa.array(cols["seq"]), pa.string()), width=4, padding="0"), "")
    titles = _titles_column(cols)
    hours = cols["hours"]
    if excel:
        duration = pa.array(hours)
    elif dialect.hours_unit:
        duration = pc.binary_join_element_wise(_number_text(hours, False), dialect.hours_unit, "")
    else:
        duration = _number_text(hours, False)

    def code_column(list_name: str, codes: Sequence[str], values: np.ndarray) -> pa.Array:
        return _spell(values, [vs.spell(list_name, c) for c in codes])

    def number(values: np.ndarray, integer: bool = False) -> pa.Array:
        if excel:
            return pa.array(values, type=pa.int64() if integer else pa.float64(), from_pandas=True)
        return _number_text(values, dialect.thousands)

    noc = _spell(cols["noc"], [codes.replace(";", vs.noc_separator) for codes in NOC_VOCAB])
    cells: dict[str, pa.Array] = {
        "institution_code": _repeat(inst.name if dialect.institution_as_name else inst.code, n),
        "reporting_period": _repeat(_period_text(year, dialect.period), n),
        "offering_id": ids,
        "title": titles,
        "mc_type": code_column("mc_type", MC_TYPES, cols["mc_type"]),
        "delivery_mode": code_column("delivery_mode", DELIVERY_MODES, cols["delivery"]),
        "credit_status": code_column("credit_status", ("non_credit", "credit"), cols["credit"].astype(np.int64)),
        "credits": number(cols["credits"]),
        "partner_categories": _spell(cols["partners"], _partner_vocabulary(vs)),
        "continuing_education": _boolean(cols["ce"], vs, excel),
        "duration_hours": duration,
        "assessment": _boolean(cols["assessment"], vs, excel),
        "recognition": code_column("recognition", RECOGNITIONS, cols["recognition"]),
        "ladders_to_credential": _boolean(cols["ladders"], vs, excel),
        "prior_learning_recognition": _boolean(cols["plar"], vs, excel),
        "field_of_study": code_column("field_of_study", FIELDS, cols["field"]),
        "ministry_funded": _boolean(cols["funded"], vs, excel),
        "competencies": _spell(cols["competencies"], COMPETENCY_VOCAB),
        "noc_codes": noc,
        "enrolments": number(cols["enrolments"], integer=True),
        "completions": number(cols["completions"], integer=True),
        "tuition_cad": number(cols["tuition"]),
        "start_date": _dates_column(cols["start"], excel),
        "end_date": _dates_column(cols["end"], excel),
    }
    header_set = HEADER_SETS[dialect.headers]
    names = [c for c in header_set if c not in dialect.omit]
    rendered = Rendered(names, [header_set[c] for c in names], [cells[c] for c in names])
    if dialect.extra_column:
        rng = np.random.default_rng(_entropy(seed, 4, year, n))
        notes = ["Waitlist", "New this year", "Offered twice", "Run with employer partner"]
        rendered.names.append("")
        rendered.headers.append(dialect.extra_column)
        rendered.columns.append(_spell(np.where(rng.random(n) < 0.15, rng.integers(0, len(notes), n), -1), notes))
    return rendered


def _rendered_for_file(planned: PlannedFile, year: int, cols: Columns, dialect: Dialect, seed: int,
                       inst_index: int, excel: bool) -> Rendered:
    """Render one year of a planned file, with its deliberate fault if any."""
    inst = planned.institution
    fault = planned.fault
    if fault in ("bad_values", "bad_values_and_dates"):
        rows = _fault_rows(cols, seed, inst_index, year, 6)
        cols = _completions_over_enrolments(cols, rows[:2])
        if fault == "bad_values_and_dates":
            cols = _end_before_start(cols, rows[2:3], year)
    if dialect.encoding == "cp1252":
        cols = _with_accented_title(cols)
    rendered = render(cols, inst, year, dialect, excel, seed)
    if fault == "bad_values":
        # A delivery mode and a type outside the code lists, and none combined with a partner.
        bad = {"delivery_mode": "Correspondence", "mc_type": "Workshop",
               "partner_categories": VALUE_SETS[dialect.values].partner_separator.join(["none", "employer_industry"])}
        rendered.overrides = {column: {int(row): value} for (column, value), row in zip(bad.items(), rows[2:])}
    elif fault == "bad_values_and_dates":
        noncredit = [int(r) for r in rows[3:] if not cols["credit"][r]]
        if noncredit:
            rendered.overrides = {"credits": {noncredit[0]: 1.5 if excel else "1.5"}}
    elif fault == "missing_column":
        # The assessment column was replaced by the assessment method: unknown, and assessment is missing.
        at = rendered.names.index("assessment")
        methods = ["Project", "Quiz", "Portfolio", "Practical exam"]
        rendered.headers[at] = "Assessment method"
        rendered.columns[at] = _spell(cols["seq"] % len(methods), methods)
    elif fault == "repeated_title":
        titles = rendered.columns[rendered.names.index("title")]
        if len(titles) > 1:
            rendered.overrides = {"title": {len(titles) - 1: titles[0].as_py()}}
    return rendered


def _with_accented_title(cols: Columns) -> Columns:
    """Windows-1252 files are there to carry accents: make sure one title has some."""
    if np.isin(cols["topic"], ACCENTED_TOPICS).any() or not len(cols["topic"]):
        return cols
    out = dict(cols)
    topic = cols["topic"].copy()
    topic[0] = ACCENTED_TOPICS[0]
    out["topic"] = topic
    for name in ("format", "intake"):
        out[name] = cols[name].copy()
        out[name][0] = 0
    if (field_ := cols["field"][0]) >= 0 and field_ != TOPIC_FIELD[ACCENTED_TOPICS[0]]:
        out["field"] = cols["field"].copy()
        out["field"][0] = TOPIC_FIELD[ACCENTED_TOPICS[0]]
    return out


def _decoded(column: pa.Array) -> pa.Array:
    return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column


# --- writing files -----------------------------------------------------------------------


def _csv_field(column: pa.Array, delimiter: str) -> pa.Array:
    """Text cells quoted only where needed, as spreadsheet programs write them."""
    if pa.types.is_dictionary(column.type):
        # Quote each distinct value once, then spread them over the cells.
        return pc.fill_null(_csv_field(column.dictionary, delimiter).take(column.indices), "")
    if not pa.types.is_string(column.type):
        return pc.fill_null(pc.cast(column, pa.string()), "")  # numbers and dates never need quotes
    text = pc.fill_null(column, "")
    needs = pc.match_substring_regex(text, '["\r\n' + re.escape(delimiter) + "]")
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)


def _csv_line(cells: list[str], delimiter: str) -> str:
    out = []
    for cell in cells:
        if any(ch in cell for ch in ('"', "\r", "\n", delimiter)):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return delimiter.join(out)


CSV_CHUNK_ROWS = 100_000  # rows joined at a time: bounds memory for multi-million-row files


def write_csv(path: Path, headers: list[str], columns: list[pa.Array], *, delimiter: str = ",", eol: str = "\n",
              encoding: str = "utf-8", blank_rows: int = 0) -> None:
    """Write a CSV as a spreadsheet program would, built column-wise (fast for millions of rows).

    ``encoding`` is utf-8, utf-8-sig (with a byte-order mark) or cp1252.
    """
    codec = "cp1252" if encoding == "cp1252" else "utf-8"
    n = len(columns[0]) if columns else 0
    with open(path, "wb") as fh:
        if encoding == "utf-8-sig":
            fh.write(b"\xef\xbb\xbf")
        fh.write((_csv_line(headers, delimiter) + eol).encode(codec))
        for start in range(0, n, CSV_CHUNK_ROWS):
            chunk = [c.slice(start, CSV_CHUNK_ROWS) for c in columns]
            fh.write(_csv_chunk(chunk, delimiter, eol).encode(codec))
        fh.write(((delimiter * (len(headers) - 1) + eol) * blank_rows).encode(codec))


def _csv_chunk(columns: list[pa.Array], delimiter: str, eol: str) -> str:
    fields = [_csv_field(c, delimiter) for c in columns]
    lines = pc.binary_join_element_wise(*fields, delimiter) if len(fields) > 1 else fields[0]
    lines = pc.binary_join_element_wise(lines, eol, "")
    # The value buffer of a string array holds its cells back to back: the chunk's text.
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return bytes(memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]]).decode("utf-8")


def _write_csv(path: Path, rendered: Rendered, columns: list[pa.Array], dialect: Dialect) -> None:
    headers, columns = list(rendered.headers), list(columns)
    if dialect.trailing_empty_column:
        headers.append("")
        columns.append(pa.nulls(len(columns[0]), pa.string()))
    write_csv(path, headers, columns, delimiter=dialect.delimiter, eol=dialect.eol, encoding=dialect.encoding,
              blank_rows=dialect.blank_rows)


def _write_xlsx(path: Path, rendered: Rendered, columns: list[pa.Array], dialect: Dialect, title: str) -> None:
    import openpyxl  # only the few .xlsx files need it

    workbook = openpyxl.Workbook(write_only=True)
    props = workbook.properties
    props.creator = props.lastModifiedBy = "mcred sample"
    props.created = props.modified = FIXED_TIME
    if dialect.cover_sheet:
        cover = workbook.create_sheet("Instructions")
        for line in ("Micro-credential offerings report", "One row per micro-credential offered in the period.",
                     "See the Offerings sheet. Codes follow the ministry's submission format."):
            cover.append([line])
    sheet = workbook.create_sheet("Offerings" if dialect.cover_sheet else "Micro-credentials")
    if dialect.title_rows:
        sheet.append([title])
        sheet.append(["Prepared by Institutional Research"])
        sheet.append([])
    sheet.append(rendered.headers)
    for row in zip(*(c.to_pylist() for c in columns)):
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_deterministic_zip(buffer.getvalue()))


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite an .xlsx with fixed member dates and a fixed modified time (openpyxl stamps now)."""
    out = io.BytesIO()
    fixed = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + fixed, content)
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, content)
    return out.getvalue()


# --- the entry point -----------------------------------------------------------------------------


def write_sample(out_dir: str | Path, seed: int = DEFAULT_SEED, offerings: int | None = None,
                 on_progress: ProgressCallback | None = None,
                 institutions_csv: Path | None = None) -> list[Path]:
    """Write the synthetic submissions into ``out_dir``; return the files, in load order.

    ``offerings`` is about how many offerings in all (default DEFAULT_OFFERINGS).
    Earlier sample files in ``out_dir`` (names like ``2024_BCIT_1.csv``) that this
    run does not write are removed, so a folder regenerated at another scale never
    mixes two samples; other files are left alone.
    """
    total = DEFAULT_OFFERINGS if offerings is None else int(offerings)
    if total < 1:
        raise ValueError(f"offerings must be at least 1 (got {offerings})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    institutions = read_institutions(institutions_csv or DEFAULT_DATA_DIR / "institutions.csv")
    index_of = {inst.code: i for i, inst in enumerate(institutions)}
    sizes = pair_sizes(institutions, total, seed)
    planned = plan_files(institutions)
    written: list[Path] = []
    for n, plan in enumerate(planned, start=1):
        path = _write_planned(out, plan, sizes, seed, index_of[plan.institution.code])
        written.append(path)
        if on_progress:
            on_progress(n, len(planned), path.name)
    keep = {p.name for p in written}
    for stale in out.iterdir():
        if stale.is_file() and SAMPLE_FILE_NAME.match(stale.name) and stale.name not in keep:
            stale.unlink()
    return written


def _write_planned(out: Path, plan: PlannedFile, sizes: dict[tuple[str, int], int], seed: int,
                   inst_index: int) -> Path:
    inst = plan.institution
    dialect = DIALECTS.get(inst.code, DEFAULT_DIALECT)
    rows = sum(sizes[(inst.code, y)] for y in plan.years)
    excel = dialect.fmt == "xlsx" and rows <= XLSX_MAX_ROWS
    parts: list[list[pa.Array]] = []
    rendered = None
    for year in plan.years:
        n = sizes[(inst.code, year)]
        has_revision = (inst.code, year) in REVISED
        cols = generate_offerings(inst, inst_index, year, n + (LATE_ADDITIONS if has_revision else 0), seed)
        if plan.revised:
            cols = revise(cols, seed, inst_index, year)
        elif has_revision:
            cols = take_rows(cols, slice(0, n))
        rendered = _rendered_for_file(plan, year, cols, dialect, seed, inst_index, excel)
        parts.append(rendered.with_overrides())
    assert rendered is not None
    columns = parts[0] if len(parts) == 1 else [pa.concat_arrays([_decoded(p[i]) for p in parts])
                                                for i in range(len(parts[0]))]
    if excel:
        path = out / f"{plan.stem}.xlsx"
        years = " and ".join(_period_text(y, "short") for y in plan.years)
        _write_xlsx(path, rendered, columns, dialect, f"{inst.name}: micro-credential offerings, fiscal year {years}")
    else:
        path = out / f"{plan.stem}.csv"
        _write_csv(path, rendered, columns, replace(dialect, **EXCEL_CSV) if dialect.fmt == "xlsx" else dialect)
    return path


def write_submission(path: str | Path, institution_code: str = "BCIT", year: int = 2024, offerings: int = 1_000,
                     seed: int = DEFAULT_SEED, institutions_csv: Path | None = None) -> Path:
    """One CSV submission in the canonical format: one institution, one fiscal year, ``offerings`` rows.

    Every row is valid (some carry the framework warnings, as real data does); for
    benchmarks and tests that need one big, clean file rather than a provincial picture.
    """
    institutions = read_institutions(institutions_csv or DEFAULT_DATA_DIR / "institutions.csv")
    index = next((i for i, inst in enumerate(institutions) if inst.code == institution_code), None)
    if index is None:
        raise ValueError(f"unknown institution code {institution_code!r}")
    cols = generate_offerings(institutions[index], index, year, offerings, seed)
    rendered = render(cols, institutions[index], year, DEFAULT_DIALECT, excel=False, seed=seed)
    path = Path(path)
    _write_csv(path, rendered, rendered.columns, DEFAULT_DIALECT)
    return path
