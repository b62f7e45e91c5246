"""How each institution's files look: header spellings, value spellings, period formats,
file format, encoding, delimiter and quirks. Every spelling is an alias in etl.spec."""

from __future__ import annotations

from dataclasses import dataclass

from etl import spec
from etl.sample.profiles import FIELDS

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
