"""The one filter model: parsing URL queries, rendering them back, and the WHERE
clause it gives, run in DuckDB against the fixture warehouse (see conftest.py)."""

from __future__ import annotations

import pytest

from dashboard.data.dimensions import DIMENSIONS
from dashboard.data.filters import ALL_PERIODS, FilterError, Filters, Vocabulary, canonical_period

# A hand-written vocabulary for the pure parsing tests (no database needed).
VOCAB = Vocabulary(
    values={
        "period": (("2022/23", "2022/23"), ("2023/24", "2023/24"), ("2024/25", "2024/25")),
        "institution": (
            ("UBC", "The University of British Columbia"),
            ("CAM", "Camosun College"),
            ("BCIT", "British Columbia Institute of Technology"),
        ),
        "sector": (
            ("research_university", "Research university"),
            ("teaching_university", "Teaching university"),
            ("college", "College"),
            ("institute", "Institute"),
        ),
        "region": (("Mainland/Southwest", "Mainland/Southwest"), ("Vancouver Island/Coast", "Vancouver Island/Coast")),
        "type": (("pathway", "Pathway"), ("technical_skill", "Technical skill")),
        "delivery": (("online", "Online"), ("onsite", "On site"), ("blended", "Blended")),
        "credit": (("credit", "Credit"), ("non_credit", "Non-credit")),
        "partner": (
            ("employer_industry", "Employer / industry"),
            ("indigenous_community", "Indigenous community"),
            ("none", "No partner"),
        ),
        "field": (("education", "Education"), ("health", "Health and related fields")),
        "ce": (("yes", "Continuing education"), ("no", "Not continuing education")),
        "funded": (("yes", "Ministry funded"), ("no", "Not ministry funded")),
    },
    latest_period="2024/25",
)


def parse(query, strict=True):
    return Filters.parse(query, VOCAB, strict=strict)


# --- parsing ------------------------------------------------------------------------


def test_repeated_and_comma_separated_values_are_the_same_filter():
    repeated, _ = parse("institution=BCIT&institution=UBC")
    comma, _ = parse("institution=BCIT,UBC")
    mapping, _ = parse({"institution": ["BCIT", "UBC"]})
    mixed, _ = parse({"institution": ["BCIT,UBC", " BCIT "]})
    assert repeated.institution == comma.institution == mapping.institution == mixed.institution == ("BCIT", "UBC")


def test_a_query_string_may_start_with_a_question_mark_and_hold_blanks():
    filters, problems = parse("?sector=college&type=&delivery=online,,")
    assert problems == []
    assert filters.sector == ("college",)
    assert filters.type == ()
    assert filters.delivery == ("online",)


@pytest.mark.parametrize("spelling", ["2024-25", "2024/25", " 2024-25 "])
def test_period_spellings(spelling):
    filters, _ = parse({"period": spelling})
    assert filters.period == ("2024/25",)
    assert filters.explicit_period


def test_canonical_period():
    assert canonical_period("2023-24") == "2023/24"
    assert canonical_period("FY2023") == "FY2023"  # left for the vocabulary check


def test_codes_are_case_insensitive_and_come_back_canonical():
    filters, problems = parse("sector=COLLEGE&institution=bcit,Ubc&type=Technical_Skill&ce=YES&period=all")
    assert problems == []
    assert filters.sector == ("college",)
    assert filters.institution == ("BCIT", "UBC")
    assert filters.type == ("technical_skill",)
    assert filters.ce == ("yes",)


def test_period_defaults_to_the_latest_period_with_data():
    filters, _ = parse("")
    assert filters.period == ("2024/25",)
    assert not filters.explicit_period
    assert filters.to_search() == ""  # the default is not written into the URL


def test_period_all_means_every_period():
    filters, problems = parse("period=ALL")
    assert problems == []
    assert filters.period == ()
    assert filters.explicit_period
    assert filters.to_query() == {"period": ALL_PERIODS}


def test_without_any_data_there_is_no_default_period():
    empty = Vocabulary(values={}, latest_period=None)
    filters, _ = Filters.parse("", empty)
    assert filters.period == ()


def test_repeated_values_are_kept_once_in_first_order():
    filters, _ = parse("institution=UBC,bcit,BCIT,UBC")
    assert filters.institution == ("UBC", "BCIT")


def test_unknown_values_raise_listing_accepted_values_in_strict_mode():
    with pytest.raises(FilterError) as caught:
        parse("sector=nope&period=1999/00&ce=maybe")
    problems = caught.value.problems
    assert len(problems) == 3
    sector, period, ce = problems
    assert "'nope'" in sector
    for code in ("research_university", "teaching_university", "college", "institute"):
        assert code in sector
    assert "2022/23, 2023/24, 2024/25, all" in period
    assert "yes, no" in ce
    assert str(caught.value) == "; ".join(problems)
    assert isinstance(caught.value, ValueError)


def test_unknown_parameter_names_are_problems_but_page_state_is_not():
    with pytest.raises(FilterError, match="unknown filter 'colour'"):
        parse("colour=red")
    filters, problems = parse("measure=enrolments&split=type&focus=BCIT&sector=college")
    assert problems == []
    assert filters.sector == ("college",)


def test_lenient_mode_drops_unknown_values_and_reports_them():
    filters, problems = parse("sector=nope,college&institution=XYZ&period=2024-25", strict=False)
    assert filters.sector == ("college",)
    assert filters.institution == ()
    assert filters.period == ("2024/25",)
    assert len(problems) == 2
    assert "unknown sector 'nope'" in problems[0]
    assert "unknown institution 'XYZ'" in problems[1] and "BCIT" in problems[1]


def test_lenient_mode_with_only_an_unknown_period_falls_back_to_the_latest():
    filters, problems = parse("period=1999/00", strict=False)
    assert filters.period == ("2024/25",)
    assert not filters.explicit_period
    assert len(problems) == 1


def test_an_empty_code_list_says_none_are_loaded():
    empty = Vocabulary(values={}, latest_period=None)
    with pytest.raises(FilterError, match=r"\(none loaded yet\)"):
        Filters.parse("sector=college", empty)


# --- rendering back to the URL -------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "period=2023/24",
        "period=all",
        "period=2022/23,2024/25&institution=BCIT,UBC",
        "sector=college&ce=no&partner=indigenous_community,none",
        "region=Vancouver Island/Coast&region=Mainland/Southwest&funded=yes",
        "type=pathway&delivery=online,blended&credit=credit&field=education,health",
    ],
)
def test_to_search_round_trips(query):
    filters, _ = parse(query)
    search = filters.to_search()
    again, problems = parse(search)
    assert problems == []
    assert again == filters
    assert again.explicit_period == filters.explicit_period
    assert again.to_search() == search


def test_to_search_is_readable_and_keeps_extra_page_state():
    filters, _ = parse("institution=BCIT,UBC&period=2024-25&sector=college")
    assert filters.to_search() == "?period=2024/25&institution=BCIT,UBC&sector=college"
    assert (
        filters.to_search({"focus": "BCIT", "empty": ""})
        == "?period=2024/25&institution=BCIT,UBC&sector=college&focus=BCIT"
    )


def test_with_values_and_without():
    filters, _ = parse("sector=college&type=pathway")
    assert not filters.explicit_period
    assert filters.with_values(period=["2023/24"]).explicit_period
    assert filters.with_values(sector=["institute"]).sector == ("institute",)
    cleared = filters.without("sector", "type", "period")
    assert cleared.sector == () and cleared.type == ()
    assert cleared.period == ("2024/25",)  # without() never clears the period
    assert filters.active() == [("period", ("2024/25",)), ("sector", ("college",)), ("type", ("pathway",))]


def test_describe_uses_labels():
    filters, _ = parse("period=all&sector=college&ce=yes")
    assert filters.describe(VOCAB) == "period: all; sector: College; ce: Continuing education"


# --- where() run in DuckDB against the fixture warehouse -------------------------------


def offering_keys(db, filters: Filters, exclude=()) -> set[str]:
    where, params = filters.where(exclude=exclude)
    rows = db.rows(
        f"SELECT institution_code, reporting_period, offering_id FROM current_offerings WHERE {where}", params
    )
    return {f"{inst} {period[2:4]} {oid}" for inst, period, oid in rows}


LATEST = {"BCIT 24 B1", "BCIT 24 B2", "BCIT 24 B3", "UBC 24 U1", "UBC 24 U2", "CAM 24 C1", "CAM 24 C2", "CAM 24 C3"}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", LATEST),
        ("period=2024/25", LATEST),
        ("period=2023-24", {"BCIT 23 B1", "BCIT 23 B2", "UBC 23 U1", "CAPU 23 P1", "CAPU 23 P2"}),
        ("sector=college", {"CAM 24 C1", "CAM 24 C2", "CAM 24 C3"}),
        ("sector=college&period=all", {"CAM 24 C1", "CAM 24 C2", "CAM 24 C3", "CAM 22 C1", "CAM 22 C2"}),
        (
            "institution=BCIT,ubc&period=all",
            {
                "BCIT 24 B1",
                "BCIT 24 B2",
                "BCIT 24 B3",
                "BCIT 23 B1",
                "BCIT 23 B2",
                "UBC 24 U1",
                "UBC 24 U2",
                "UBC 23 U1",
            },
        ),
        ("region=Vancouver Island/Coast", {"CAM 24 C1", "CAM 24 C2", "CAM 24 C3"}),
        ("partner=indigenous_community", {"UBC 24 U1", "CAM 24 C2"}),
        ("partner=indigenous_community&period=all", {"UBC 24 U1", "CAM 24 C2", "UBC 23 U1"}),
        ("partner=none,government", {"BCIT 24 B3", "CAM 24 C3", "CAM 24 C2"}),
        ("ce=yes", {"BCIT 24 B1", "UBC 24 U2", "CAM 24 C1", "CAM 24 C2"}),
        ("ce=no", {"BCIT 24 B2", "BCIT 24 B3", "UBC 24 U1", "CAM 24 C3"}),
        ("ce=yes,no", LATEST),
        ("funded=yes", {"BCIT 24 B2", "UBC 24 U1", "CAM 24 C2"}),
        ("funded=no", {"BCIT 24 B1", "UBC 24 U2", "CAM 24 C1", "CAM 24 C3"}),  # B3 left it empty
        ("type=technical_skill&delivery=onsite", {"BCIT 24 B3", "CAM 24 C1"}),
        ("credit=credit&period=all", {"BCIT 24 B2", "UBC 24 U1", "UBC 23 U1", "CAM 22 C2"}),
        ("field=health,education", {"UBC 24 U1", "CAM 24 C1", "CAM 24 C2"}),
        ("sector=college&ce=no", {"CAM 24 C3"}),
        ("sector=teaching_university", set()),  # CAPU's 2024/25 file was rejected
    ],
)
def test_where_selects_the_right_offerings(db, vocab, query, expected):
    filters, _ = Filters.parse(query, vocab)
    assert offering_keys(db, filters) == expected


def test_where_can_leave_out_parameters(db, vocab):
    filters, _ = Filters.parse("sector=college", vocab)
    assert offering_keys(db, filters, exclude=("period",)) == {
        "CAM 24 C1",
        "CAM 24 C2",
        "CAM 24 C3",
        "CAM 22 C1",
        "CAM 22 C2",
    }


def test_where_with_a_table_alias(db, vocab):
    filters, _ = Filters.parse("sector=college&ce=yes", vocab)
    where, params = filters.where(alias="o")
    assert "o.sector" in where and "o.continuing_education" in where
    rows = db.rows(f"SELECT o.offering_id FROM current_offerings o WHERE {where} ORDER BY 1", params)
    assert [r[0] for r in rows] == ["C1", "C2"]


def test_where_without_filters_is_true(db):
    where, params = Filters().where()
    assert (where, params) == ("TRUE", [])
    assert db.rows(f"SELECT count(*) FROM current_offerings WHERE {where}")[0][0] == 15


def test_values_travel_as_parameters_never_as_sql(db):
    hostile = "x') OR TRUE OR ('"
    filters = Filters(institution=(hostile,), partner=(hostile,))
    where, params = filters.where()
    assert hostile not in where
    assert db.rows(f"SELECT count(*) FROM current_offerings WHERE {where}", params)[0][0] == 0


def test_every_parameter_is_a_column_of_current_offerings(db):
    columns = {r[0] for r in db.rows("SELECT column_name FROM (DESCRIBE current_offerings)")}
    assert {d.column for d in DIMENSIONS} <= columns
