"""Every overview query against numbers counted by hand from the fixture warehouse
(the table of rows is in conftest.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.data import overview as queries
from dashboard.data import reference
from dashboard.data import targets as target_rules
from dashboard.data.database import Database, NoWarehouse
from dashboard.data.dimensions import NOT_REPORTED

P22, P23, P24 = "2022/23", "2023/24", "2024/25"

# Hand counts from the table in conftest.py.
HEADLINE = {
    P24: {
        "offerings": 8,
        "institutions": 3,
        "enrolments": 160,
        "completions": 123,
        "ce_offerings": 4,
        "ce_enrolments": 30 + 25 + 15 + 12,
    },
    P23: {
        "offerings": 5,
        "institutions": 3,
        "enrolments": 100,
        "completions": 75,
        "ce_offerings": 3,
        "ce_enrolments": 25 + 18 + 12,
    },
    P22: {
        "offerings": 2,
        "institutions": 1,
        "enrolments": 16,
        "completions": 11,
        "ce_offerings": 1,
        "ce_enrolments": 10,
    },
}
ALL_PERIODS_TOTAL = {"offerings": 15, "institutions": 4, "enrolments": 276, "completions": 209}


def as_counts(frame: pd.DataFrame, measure: str = "offerings", key: str = "category") -> dict:
    return {row[key]: int(row[measure]) for _, row in frame.iterrows()}


# --- vocabulary -----------------------------------------------------------------------


def test_vocabulary_lists_periods_with_data_and_the_code_lists(vocab):
    assert vocab.codes("period") == [P22, P23, P24]
    assert vocab.latest_period == P24
    assert vocab.codes("sector") == ["research_university", "teaching_university", "college", "institute"]
    assert "technical_skill" in vocab.codes("type")
    assert vocab.label("institution", "BCIT") == "British Columbia Institute of Technology"
    assert "Vancouver Island/Coast" in vocab.codes("region")
    assert vocab.codes("ce") == ["yes", "no"]


def test_a_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(NoWarehouse, match="mcred load"):
        queries.vocabulary(Database(tmp_path / "nothing.duckdb").reader())


# --- headline ---------------------------------------------------------------------------


def check(headline: queries.Headline, expected: dict) -> None:
    for key, value in expected.items():
        assert getattr(headline, key) == value, key


def test_headline_for_the_latest_period_compares_with_the_year_before(db, parse):
    now, before = queries.headline(db, parse(""))
    check(now, HEADLINE[P24])
    check(before, HEADLINE[P23])
    assert now.ce_share() == 4 / 8
    assert now.ce_share("enrolments") == 82 / 160
    assert before.ce_share() == 3 / 5


def test_headline_without_a_year_before(db, parse):
    now, before = queries.headline(db, parse("period=2022/23"))
    check(now, HEADLINE[P22])
    assert before is None


def test_headline_over_all_periods_counts_institutions_once(db, parse):
    now, before = queries.headline(db, parse("period=all"))
    check(now, ALL_PERIODS_TOTAL)
    assert now.ce_offerings == 4 + 3 + 1
    assert before is None


def test_headline_over_two_periods(db, parse):
    now, before = queries.headline(db, parse("period=2023/24,2024/25"))
    # BCIT, UBC, CAM and CAPU: 4 distinct institutions, not 3 + 3.
    assert (now.offerings, now.institutions, now.enrolments, now.completions) == (13, 4, 260, 198)
    assert before is None


def test_headline_applies_the_other_filters_to_both_years(db, parse):
    now, before = queries.headline(db, parse("sector=institute"))
    assert (now.offerings, now.institutions, now.enrolments, now.completions) == (3, 1, 60, 44)
    assert (before.offerings, before.institutions, before.enrolments, before.completions) == (2, 1, 35, 26)
    assert now.ce_share() == pytest.approx(1 / 3)


def test_headline_when_nothing_matches_now_but_did_before(db, parse):
    # CAPU reported in 2023/24; its 2024/25 file was rejected.
    now, before = queries.headline(db, parse("sector=teaching_university"))
    check(now, {"offerings": 0, "institutions": 0, "enrolments": 0, "completions": 0})
    assert now.ce_share() is None
    assert (before.offerings, before.enrolments) == (2, 30)


def test_previous_period():
    assert queries.previous_period("2024/25") == "2023/24"
    assert queries.previous_period("2000/01") == "1999/00"


# --- breakdowns ---------------------------------------------------------------------------


def test_breakdowns_for_the_latest_period(db, parse):
    data = queries.breakdowns(db, parse(""))
    assert as_counts(data["type"]) == {
        "technical_skill": 3,
        "upskilling": 2,
        "pathway": 1,
        "transferable_skill": 1,
        "teaser": 1,
    }
    assert as_counts(data["type"], "enrolments") == {
        "technical_skill": 55,
        "upskilling": 32,
        "pathway": 40,
        "transferable_skill": 25,
        "teaser": 8,
    }
    assert as_counts(data["delivery"]) == {"online": 4, "onsite": 2, "blended": 2}
    assert as_counts(data["delivery"], "enrolments") == {"online": 103, "onsite": 25, "blended": 32}
    assert as_counts(data["credit"]) == {"credit": 2, "non_credit": 6}
    assert as_counts(data["credit"], "enrolments") == {"credit": 60, "non_credit": 100}


def test_field_of_study_left_empty_is_not_reported(db, parse):
    data = queries.breakdowns(db, parse(""))
    assert as_counts(data["field"]) == {
        "math_computer_science": 2,
        "engineering_architecture": 1,
        NOT_REPORTED: 1,
        "education": 1,
        "business_management": 1,
        "health": 2,
    }
    assert as_counts(data["field"], "enrolments")[NOT_REPORTED] == 10


def test_an_offering_with_several_partners_counts_in_each(db, parse):
    data = queries.breakdowns(db, parse(""))
    partner = as_counts(data["partner"])
    assert partner == {
        "employer_industry": 4,
        "professional_body": 1,
        "community": 2,
        "none": 2,
        "indigenous_community": 2,
        "government": 1,
    }
    assert sum(partner.values()) == 12 > HEADLINE[P24]["offerings"]
    assert as_counts(data["partner"], "enrolments") == {
        "employer_industry": 77,
        "professional_body": 30,
        "community": 65,
        "none": 18,
        "indigenous_community": 52,
        "government": 12,
    }


def test_sector_by_continuing_education(db, parse):
    frame = queries.breakdowns(db, parse(""))["sector_ce"]
    got = {(r.category, r.ce): (int(r.offerings), int(r.enrolments)) for r in frame.itertuples()}
    assert got == {
        ("institute", "yes"): (1, 30),
        ("institute", "no"): (2, 30),
        ("research_university", "yes"): (1, 25),
        ("research_university", "no"): (1, 40),
        ("college", "yes"): (2, 27),
        ("college", "no"): (1, 8),
    }


def test_breakdowns_follow_the_filters(db, parse):
    data = queries.breakdowns(db, parse("partner=indigenous_community&period=all"))
    assert as_counts(data["type"]) == {"pathway": 2, "upskilling": 1}
    # The partner chart keeps the other partners of the selected offerings.
    assert as_counts(data["partner"]) == {
        "indigenous_community": 3,
        "community": 1,
        "employer_industry": 1,
        "government": 1,
    }


def test_breakdowns_when_nothing_matches(db, parse):
    data = queries.breakdowns(db, parse("sector=teaching_university"))
    assert all(frame.empty for frame in data.values())
    assert set(data) == {"type", "delivery", "credit", "field", "sector_ce", "partner"}


# --- trend ------------------------------------------------------------------------------


def trend_counts(frame: pd.DataFrame, measure: str = "offerings") -> dict:
    return {(r.reporting_period, r.category): int(getattr(r, measure)) for r in frame.itertuples()}


def test_trend_without_a_split_covers_every_period(db, parse):
    frame = queries.trend(db, parse(""), None, "offerings")
    assert trend_counts(frame) == {(P22, "all"): 2, (P23, "all"): 5, (P24, "all"): 8}
    assert trend_counts(frame, "enrolments") == {(P22, "all"): 16, (P23, "all"): 100, (P24, "all"): 160}
    assert list(frame.reporting_period) == [P22, P23, P24]


def test_trend_split_by_sector(db, parse):
    frame = queries.trend(db, parse("period=2022/23"), "sector", "offerings")  # the period filter is ignored
    assert trend_counts(frame) == {
        (P22, "college"): 2,
        (P23, "institute"): 2,
        (P23, "research_university"): 1,
        (P23, "teaching_university"): 2,
        (P24, "college"): 3,
        (P24, "institute"): 3,
        (P24, "research_university"): 2,
    }


def test_trend_split_by_partner_counts_each_partner(db, parse):
    frame = queries.trend(db, parse(""), "partner", "offerings")
    got = trend_counts(frame)
    assert got[(P23, "employer_industry")] == 3  # B1, P1, P2
    assert got[(P23, "none")] == 1
    assert got[(P22, "other_institution")] == 1
    assert sum(v for (p, _), v in got.items() if p == P24) == 12


@pytest.mark.parametrize(
    "split, expected",
    [
        ("ce", {(P22, "yes"): 1, (P22, "no"): 1, (P23, "yes"): 3, (P23, "no"): 2, (P24, "yes"): 4, (P24, "no"): 4}),
        (
            "credit",
            {
                (P22, "credit"): 1,
                (P22, "non_credit"): 1,
                (P23, "credit"): 1,
                (P23, "non_credit"): 4,
                (P24, "credit"): 2,
                (P24, "non_credit"): 6,
            },
        ),
        (
            "institution",
            {
                (P22, "CAM"): 2,
                (P23, "BCIT"): 2,
                (P23, "CAPU"): 2,
                (P23, "UBC"): 1,
                (P24, "BCIT"): 3,
                (P24, "CAM"): 3,
                (P24, "UBC"): 2,
            },
        ),
    ],
)
def test_trend_splits(db, parse, split, expected):
    assert trend_counts(queries.trend(db, parse(""), split, "offerings")) == expected


def test_trend_by_field_reports_the_missing_field(db, parse):
    got = trend_counts(queries.trend(db, parse(""), "field", "enrolments"), "enrolments")
    assert got[(P24, NOT_REPORTED)] == 10
    assert got[(P22, "health")] == 16


def test_trend_applies_the_other_filters(db, parse):
    frame = queries.trend(db, parse("sector=college"), None, "offerings")
    assert trend_counts(frame) == {(P22, "all"): 2, (P24, "all"): 3}


def test_trend_rejects_unknown_splits(db, parse):
    with pytest.raises(ValueError, match="unknown split"):
        queries.trend(db, parse(""), "colour; DROP TABLE offering", "offerings")


# --- target metrics ---------------------------------------------------------------------


def test_metric_counts_per_institution_and_in_total(db, parse):
    counts = queries.metric_counts(db, parse(""))
    total = counts[counts.institution_code.isna()].iloc[0]
    assert (total.n_offerings, total.n_enrolments, total.n_completions) == (8, 160, 123)
    per = counts[counts.institution_code.notna()].set_index("institution_code")
    # In code order every time: the targets panel lists institutions furthest from a target in
    # this order when their gaps tie, so a page must not reorder them from one request to the next.
    assert list(per.index) == ["BCIT", "CAM", "UBC"]
    assert list(per.loc[["BCIT", "CAM", "UBC"], "n_offerings"]) == [3, 3, 2]
    assert per.loc["BCIT", "duration_compliance__offerings"] == 2
    assert per.loc["CAM", "partner_alignment__offerings"] == 2


# metric -> (share of offerings, share of enrolments) for 2024/25, counted by hand.
EXPECTED_METRICS = {
    "duration_compliance": (7 / 8, 150 / 160),  # B3 runs 300 h
    "assessment_share": (7 / 8, 150 / 160),  # B3 has no assessment
    "partner_alignment": (6 / 8, 142 / 160),  # B3 and C3 name no partner
    "ce_share": (4 / 8, 82 / 160),
    "credit_share": (2 / 8, 60 / 160),
    "indigenous_partner_share": (2 / 8, 52 / 160),
    "online_or_blended_share": (6 / 8, 135 / 160),
    "laddering_share": (3 / 8, 72 / 160),  # B2, U1, C2
}


@pytest.mark.parametrize("metric", list(EXPECTED_METRICS))
def test_metric_values(db, parse, metric):
    counts = queries.metric_counts(db, parse(""))
    total = counts[counts.institution_code.isna()]
    by_offerings, by_enrolments = EXPECTED_METRICS[metric]
    assert queries.metric_values(total, metric, "offerings").iloc[0] == pytest.approx(by_offerings)
    assert queries.metric_values(total, metric, "enrolments").iloc[0] == pytest.approx(by_enrolments)


def test_completion_rate(db, parse):
    counts = queries.metric_counts(db, parse(""))
    values = queries.metric_values(counts, "completion_rate", "enrolments")
    by_inst = dict(zip(counts.institution_code.fillna("total"), values))
    assert by_inst["total"] == pytest.approx(123 / 160)
    assert by_inst["BCIT"] == pytest.approx(44 / 60)
    assert by_inst["UBC"] == pytest.approx(50 / 65)
    assert by_inst["CAM"] == pytest.approx(29 / 35)


def test_every_target_metric_has_a_value(db, parse):
    counts = queries.metric_counts(db, parse(""))
    tgts = target_rules.targets(db)
    assert set(tgts.metric) == {*EXPECTED_METRICS, "completion_rate"}
    for t in tgts.itertuples():
        values = queries.metric_values(counts, t.metric, t.basis)
        assert values.notna().all(), t.metric


def test_a_share_with_nothing_to_count_is_missing_not_zero(db, parse):
    counts = queries.metric_counts(db, parse("sector=teaching_university"))
    assert len(counts) == 1 and counts.n_offerings.iloc[0] == 0
    assert queries.metric_values(counts, "ce_share", "offerings").isna().all()
    assert queries.metric_values(counts, "completion_rate", "enrolments").isna().all()


# --- choosing the target: institution > sector > period > provincial ------------------

TARGETS_TOML = """
[[target]]
metric = "ce_share"
comparator = "<="
value = 0.50
source = "provincial"

[[target]]
metric = "ce_share"
comparator = "<="
value = 0.55
source = "for 2024/25"
period = "2024-25"

[[target]]
metric = "ce_share"
comparator = "<="
value = 0.40
source = "for colleges"
sector = "college"

[[target]]
metric = "ce_share"
comparator = "<="
value = 0.30
source = "for Camosun"
institution = "CAM"

[[target]]
metric = "credit_share"
comparator = ">="
value = 0.20
source = "credit by enrolments"
basis = "enrolments"
"""


@pytest.fixture(scope="module")
def targeted(warehouse_with_targets):
    return Database(warehouse_with_targets(TARGETS_TOML).db_path).reader()


@pytest.mark.parametrize(
    "period, sector, institution, source",
    [
        (None, None, None, "provincial"),
        ("2023/24", None, None, "provincial"),
        ("2024/25", None, None, "for 2024/25"),
        (None, "college", None, "for colleges"),
        ("2024/25", "college", None, "for colleges"),
        ("2024/25", "institute", None, "for 2024/25"),
        ("2024/25", "college", "CAM", "for Camosun"),
        (None, None, "CAM", "for Camosun"),
        ("2024/25", "institute", "BCIT", "for 2024/25"),
        ("2023/24", "college", "BCIT", "for colleges"),
    ],
)
def test_choose_target_prefers_the_most_specific(targeted, period, sector, institution, source):
    tgts = target_rules.targets(targeted)
    chosen = target_rules.choose_target(tgts, "ce_share", period, sector, institution)
    assert chosen is not None
    assert chosen.source == source


def test_targets_read_from_targets_toml(targeted):
    tgts = target_rules.targets(targeted)
    credit = target_rules.choose_target(tgts, "credit_share", "2024/25", "college", "CAM")
    assert (credit.comparator, credit.value, credit.basis) == (">=", 0.20, "enrolments")
    # Metrics the file does not mention keep their defaults, with their source.
    laddering = target_rules.choose_target(tgts, "laddering_share")
    assert (laddering.comparator, laddering.value, laddering.source) == (">=", 0.40, "illustrative")
    assert bool(target_rules.choose_target(tgts, "duration_compliance").framework) is True
    assert target_rules.choose_target(tgts, "no_such_metric") is None


def test_default_targets(db):
    tgts = target_rules.targets(db)
    ce = target_rules.choose_target(tgts, "ce_share", "2024/25", "college", "CAM")
    assert (ce.comparator, ce.value, ce.source) == ("<=", 0.60, "illustrative")
    completion = target_rules.choose_target(tgts, "completion_rate")
    assert (completion.value, completion.basis) == (0.70, "enrolments")


# --- data version ---------------------------------------------------------------------


def test_data_version(db):
    info = reference.data_version(db)
    assert info["version"] >= 2  # two loads, each published
    assert info["last_load"] is not None
