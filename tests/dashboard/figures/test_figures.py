"""Pure figure builders: small hand-made frames in, plotly figures out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import theme
from dashboard.figures import overview as figure_builders


class _Validated:
    """The builders return plain figure dicts (fast for dcc.Graph); go.Figure(...) validates
    each one strictly against Plotly's schema and gives attribute access for the asserts."""

    def __getattr__(self, name):
        builder = getattr(figure_builders, name)
        return lambda *args, **kwargs: go.Figure(builder(*args, **kwargs))


figures = _Validated()

TYPE_CODES = ["pathway", "upskilling", "technical_skill", "transferable_skill", "teaser"]
TYPE_LABELS = {
    "pathway": "Pathway",
    "upskilling": "Upskilling",
    "technical_skill": "Technical skill",
    "transferable_skill": "Transferable skill",
    "teaser": "Teaser",
    "not_reported": "Not reported",
}
PERIODS = ["2022/23", "2023/24", "2024/25"]


def breakdown(**counts) -> pd.DataFrame:
    return pd.DataFrame(
        {"category": list(counts), "offerings": list(counts.values()), "enrolments": [10 * v for v in counts.values()]}
    )


def bar(frame, measure="offerings", **options):
    kwargs = {
        "measure": measure,
        "title": "Offerings by type",
        "labels": TYPE_LABELS,
        "order": [*TYPE_CODES, "not_reported"],
        "colours": theme.colours_for(TYPE_CODES),
    }
    kwargs.update(options)
    return figures.breakdown_bar(frame, **with_categories(kwargs))


def with_categories(kwargs: dict) -> dict:
    """The builders take a chart's labels, order and colours as one Categories."""
    categories = figure_builders.Categories(kwargs.pop("labels"), kwargs.pop("order"), kwargs.pop("colours"))
    return {**kwargs, "categories": categories}


def assert_explanatory_empty(fig: go.Figure, title: str) -> None:
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text == title
    assert len(fig.data) == 0
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    (note,) = fig.layout.annotations
    assert "No offerings match" in note.text


# --- breakdown bars ------------------------------------------------------------------


def test_breakdown_bar_carries_codes_labels_and_shares():
    fig = bar(breakdown(teaser=1, technical_skill=3, pathway=4))
    (trace,) = fig.data
    assert trace.orientation == "h"
    # Code-list order from the top: plotly draws the last y first, so the frame is reversed.
    assert list(trace.customdata) == ["teaser", "technical_skill", "pathway"]
    assert list(trace.y) == ["Teaser", "Technical skill", "Pathway"]
    assert list(trace.x) == [1, 3, 4]
    assert list(trace.text) == ["1 (12.5%)", "3 (37.5%)", "4 (50.0%)"]
    hover = dict(zip(trace.customdata, trace.hovertemplate))
    assert "3 offerings" in hover["technical_skill"] and "37.5% of offerings shown" in hover["technical_skill"]
    assert fig.layout.title.text == "Offerings by type"


def test_breakdown_bar_by_enrolments():
    fig = bar(breakdown(pathway=1, upskilling=3), measure="enrolments", title="Enrolments by type")
    (trace,) = fig.data
    assert list(trace.x) == [30, 10]
    assert "30 enrolments" in trace.hovertemplate[0] and "75.0% of enrolments shown" in trace.hovertemplate[0]
    assert fig.layout.xaxis.title.text == "Enrolments"


def test_shares_of_a_given_denominator_when_categories_overlap():
    # Partner categories: 8 offerings, one offering counts in several categories.
    fig = bar(
        breakdown(employer_industry=4, community=2, none=2, indigenous_community=2),
        denominator=8,
        note="An offering with several partner categories counts in each.",
    )
    trace = fig.data[0]
    hover = dict(zip(trace.customdata, trace.hovertemplate))
    assert "50.0% of all offerings" in hover["employer_industry"]
    assert "25.0% of all offerings" in hover["community"]
    assert "several partner categories" in fig.layout.title.subtitle.text


def test_categories_outside_the_code_list_come_last_and_not_reported_is_grey():
    fig = bar(breakdown(not_reported=1, pathway=2, mystery=1))
    trace = fig.data[0]
    assert list(trace.customdata)[-1] == "pathway"  # first code on top
    colours = dict(zip(trace.customdata, trace.marker.color))
    assert colours["not_reported"] == theme.NOT_REPORTED_COLOUR
    assert dict(zip(trace.customdata, trace.y))["not_reported"] == "Not reported"
    assert colours["mystery"] == theme.SINGLE


@pytest.mark.parametrize(
    "frame",
    [
        breakdown(),
        breakdown(pathway=0, teaser=0),
        pd.DataFrame(columns=["category", "offerings", "enrolments"]),
    ],
)
def test_breakdown_bar_without_data_explains_itself(frame):
    assert_explanatory_empty(bar(frame), "Offerings by type")


def test_builders_are_pure():
    frame = breakdown(teaser=1, pathway=4)
    before = frame.copy()
    first, second = bar(frame), bar(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert first.to_dict() == second.to_dict()
    assert first is not second


# --- continuing education by sector ------------------------------------------------------

SECTOR_LABELS = {
    "research_university": "Research university",
    "teaching_university": "Teaching university",
    "college": "College",
    "institute": "Institute",
}
SECTOR_ORDER = list(SECTOR_LABELS)


def sector_ce() -> pd.DataFrame:
    rows = [
        ("institute", "yes", 1, 30),
        ("institute", "no", 2, 30),
        ("research_university", "yes", 1, 25),
        ("research_university", "no", 1, 40),
        ("college", "yes", 2, 27),
        ("college", "no", 1, 8),
    ]
    return pd.DataFrame(rows, columns=["category", "ce", "offerings", "enrolments"])


def ce_chart(frame, target=0.6, target_text="target <= 60% (illustrative)", measure="offerings"):
    return figures.ce_by_sector(
        frame,
        measure=measure,
        title="CE share",
        sector_labels=SECTOR_LABELS,
        sector_order=SECTOR_ORDER,
        target=target,
        target_text=target_text,
    )


def test_ce_by_sector_shares_per_sector_and_for_all():
    fig = ce_chart(sector_ce())
    (trace,) = fig.data
    # Sectors without offerings (teaching universities here) are left out.
    assert list(trace.customdata) == ["research_university", "college", "institute", "all"]
    assert list(trace.y) == pytest.approx([1 / 2, 2 / 3, 1 / 3, 4 / 8])
    hover = dict(zip(trace.customdata, trace.hovertemplate))
    assert "2 of 3 offerings through CE" in hover["college"] and "66.7%" in hover["college"]
    assert "4 of 8 offerings" in hover["all"]
    assert list(trace.text) == ["50.0%", "66.7%", "33.3%", "50.0%"]


def test_ce_by_sector_draws_the_target():
    fig = ce_chart(sector_ce())
    (line,) = fig.layout.shapes
    assert line.y0 == line.y1 == 0.6
    assert "target <= 60%" in fig.layout.title.subtitle.text  # under the title, clear of the bars
    assert not fig.layout.annotations
    assert not ce_chart(sector_ce(), target=None, target_text=None).layout.shapes


def test_a_share_just_under_the_target_has_its_label_inside_its_bar():
    """Seen at 1M offerings: "57.6%" above its bar was crossed by the 60% target line."""
    fig = ce_chart(sector_ce(), target=0.55)  # research universities 50%, all sectors 50%: just under
    positions = dict(zip(fig.data[0].customdata, fig.data[0].textposition))
    assert positions == {"research_university": "inside", "college": "outside", "institute": "outside", "all": "inside"}
    assert set(ce_chart(sector_ce(), target=None, target_text=None).data[0].textposition) == {"outside"}


def test_ce_by_sector_by_enrolments():
    fig = ce_chart(sector_ce(), measure="enrolments")
    shares = dict(zip(fig.data[0].customdata, fig.data[0].y))
    assert shares["institute"] == pytest.approx(30 / 60)
    assert shares["all"] == pytest.approx(82 / 160)


def test_ce_by_sector_when_only_one_answer_was_given():
    frame = sector_ce()
    fig = ce_chart(frame[frame.ce == "no"])
    assert set(fig.data[0].y) == {0}


def test_ce_by_sector_without_data_explains_itself():
    assert_explanatory_empty(ce_chart(sector_ce().iloc[0:0]), "CE share")


# --- trend ------------------------------------------------------------------------------


def trend_frame() -> pd.DataFrame:
    rows = [
        ("2022/23", "college", 2, 16),
        ("2023/24", "institute", 2, 35),
        ("2023/24", "teaching_university", 2, 30),
        ("2023/24", "research_university", 1, 35),
        ("2024/25", "college", 3, 35),
        ("2024/25", "institute", 3, 60),
        ("2024/25", "research_university", 2, 65),
    ]
    return pd.DataFrame(rows, columns=["reporting_period", "category", "offerings", "enrolments"])


def trend(frame, measure="offerings", **options):
    kwargs = {
        "measure": measure,
        "title": "Offerings per fiscal year, by sector",
        "labels": SECTOR_LABELS,
        "order": SECTOR_ORDER,
        "colours": theme.colours_for(SECTOR_ORDER),
        "periods": PERIODS,
    }
    kwargs.update(options)
    return figures.trend(frame, **with_categories(kwargs))


def test_trend_stacks_one_trace_per_category_in_code_list_order():
    fig = trend(trend_frame())
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["Research university", "Teaching university", "College", "Institute"]
    college = fig.data[2]
    assert list(college.x) == PERIODS
    assert list(college.y) == [2, 0, 3]  # a period without the category is zero, not missing
    assert set(college.customdata) == {"college"}
    assert "3 offerings (37.5% of the period)" in college.hovertemplate[2]
    assert fig.layout.showlegend is True


def test_trend_without_a_split_has_one_trace_and_no_legend():
    frame = pd.DataFrame(
        {"reporting_period": PERIODS, "category": ["all"] * 3, "offerings": [2, 5, 8], "enrolments": [16, 100, 160]}
    )
    fig = trend(frame, measure="enrolments", title="Enrolments per fiscal year", labels={}, order=[])
    (trace,) = fig.data
    assert trace.name == "Enrolments"
    assert list(trace.y) == [16, 100, 160]
    assert fig.layout.showlegend is False


def test_trend_without_data_explains_itself():
    fig = trend(trend_frame().iloc[0:0])
    assert len(fig.data) == 0
    assert "No offerings match" in fig.layout.annotations[0].text


# --- one colour per category in every chart ---------------------------------------------


def test_a_category_has_the_same_colour_in_every_builder():
    colours = theme.colours_for(SECTOR_ORDER)
    frame = trend_frame()
    trend_colours = {t.customdata[0]: t.marker.color for t in trend(frame, colours=colours).data}
    by_sector = frame.groupby("category", as_index=False)[["offerings", "enrolments"]].sum()
    bar_fig = figures.breakdown_bar(
        by_sector,
        measure="offerings",
        title="By sector",
        categories=figure_builders.Categories(SECTOR_LABELS, SECTOR_ORDER, colours),
    )
    bar_colours = dict(zip(bar_fig.data[0].customdata, bar_fig.data[0].marker.color))
    assert trend_colours == bar_colours
    assert len(set(bar_colours.values())) == 4


def test_colours_follow_the_code_list_not_the_data():
    codes = ["a", "b", "c"]
    assert theme.colours_for(codes)["b"] == theme.colours_for(codes)["b"] == theme.OKABE_ITO[1]
    long = [f"f{i}" for i in range(12)]
    assert theme.colours_for(long)["f9"] == theme.TOL_MUTED[9]
    assert theme.colours_for(codes)["not_reported"] == theme.NOT_REPORTED_COLOUR
