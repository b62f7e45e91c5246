"""What the province looks like: each sector's and institution's behaviour (sizes, growth,
delivery, fields, partners) and the vocabularies of titles, competencies and occupations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl import spec

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
