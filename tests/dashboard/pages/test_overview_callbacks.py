"""The overview page without a browser: its builders called as plain functions, then
its callbacks through Dash's own callback endpoint (Flask test client), against the
fixture warehouse (conftest.py)."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from dash import dcc, html
from layout_tree import find_all, texts

from dashboard import theme
from dashboard.data import overview as queries
from dashboard.data import targets as target_rules
from dashboard.data.dimensions import NOT_REPORTED
from dashboard.data.filters import PARAMETERS, Filters

P23, P24 = "2023/24", "2024/25"

# --- helpers -------------------------------------------------------------------------------


def target_rows(panel) -> dict[str, list[str]]:
    """Targets table: metric label -> the texts of its row."""
    rows = find_all(panel, html.Tr)[1:]  # the first row is the header
    return {texts(r.children[0])[0]: texts(r) for r in rows}


def charts(out) -> dict[str, go.Figure]:
    """The overview's figures (plain dicts), each validated by Plotly's schema through go.Figure."""
    return {chart_id: go.Figure(fig) for chart_id, fig in out.figures.items()}


def bar_counts(fig) -> dict[str, float]:
    trace = fig.data[0]
    return dict(zip(trace.customdata, trace.x))


# --- build_overview -----------------------------------------------------------------------


def test_kpis_and_changes_for_the_latest_period(overview, db, vocab, parse):
    out = overview.build_overview(db, parse(""), "offerings", vocab)
    assert out.kpis == ["8", "3", "160", "123", "50.0%"]
    assert out.changes == [
        "▲ +3 (+60.0%) vs 2023/24",
        "■ +0 (+0.0%) vs 2023/24",
        "▲ +60 (+60.0%) vs 2023/24",
        "▲ +48 (+64.0%) vs 2023/24",
        "▼ -10.0 pts vs 2023/24",
    ]


def test_kpis_by_enrolments_change_only_the_ce_share(overview, db, vocab, parse):
    out = overview.build_overview(db, parse(""), "enrolments", vocab)
    assert out.kpis[:4] == ["8", "3", "160", "123"]
    assert out.kpis[4] == f"{82 / 160:.1%}"
    assert out.changes[4].startswith("▼ -3.") and out.changes[4].endswith("pts vs 2023/24")


def test_kpis_without_a_comparison(overview, db, vocab, parse):
    out = overview.build_overview(db, parse("period=all"), "offerings", vocab)
    assert out.kpis == ["15", "4", "276", "209", f"{8 / 15:.1%}"]
    assert out.changes == ["all selected years"] * 5
    out = overview.build_overview(db, parse("sector=college"), "offerings", vocab)
    assert out.kpis[0] == "3"
    assert out.changes == ["no data for the year before"] * 5


def test_overview_when_nothing_matches(overview, db, vocab, parse):
    out = overview.build_overview(db, parse("sector=teaching_university"), "offerings", vocab)
    assert out.kpis == ["0", "0", "0", "0", "–"]
    assert out.changes[0] == "▼ -2 (-100.0%) vs 2023/24"
    assert out.changes[4] == "no comparison with 2023/24"
    for chart_id, fig in charts(out).items():
        assert len(fig.data) == 0, chart_id
        assert "No offerings match" in fig.layout.annotations[0].text
    assert "no target can be assessed" in " ".join(texts(out.targets_panel))


def test_overview_charts_carry_counts_and_codes(overview, db, vocab, parse):
    out = overview.build_overview(db, parse(""), "offerings", vocab)
    assert set(charts(out)) == {
        "chart-type",
        "chart-delivery",
        "chart-credit",
        "chart-partner",
        "chart-field",
        "chart-ce-sector",
    }
    assert bar_counts(charts(out)["chart-type"]) == {
        "technical_skill": 3,
        "upskilling": 2,
        "pathway": 1,
        "transferable_skill": 1,
        "teaser": 1,
    }
    assert bar_counts(charts(out)["chart-delivery"]) == {"online": 4, "onsite": 2, "blended": 2}
    field = charts(out)["chart-field"].data[0]
    assert dict(zip(field.customdata, field.y))[NOT_REPORTED] == theme.NOT_REPORTED_LABEL
    # Partner shares are of all 8 offerings, although the bars add up to 12.
    partner = charts(out)["chart-partner"].data[0]
    assert sum(partner.x) == 12
    hover = dict(zip(partner.customdata, partner.hovertemplate))
    assert "50.0% of all offerings" in hover["employer_industry"]
    assert charts(out)["chart-type"].layout.title.text == "Offerings by micro-credential type"


def test_overview_by_enrolments(overview, db, vocab, parse):
    out = overview.build_overview(db, parse(""), "enrolments", vocab)
    assert bar_counts(charts(out)["chart-credit"]) == {"credit": 60, "non_credit": 100}
    partner = charts(out)["chart-partner"].data[0]
    hover = dict(zip(partner.customdata, partner.hovertemplate))
    assert f"{77 / 160:.1%} of all enrolments" in hover["employer_industry"]


def test_ce_chart_shows_the_target_that_applies(overview, db, vocab, parse):
    fig = charts(overview.build_overview(db, parse(""), "offerings", vocab))["chart-ce-sector"]
    shares = dict(zip(fig.data[0].customdata, fig.data[0].y))
    assert shares == pytest.approx({"research_university": 1 / 2, "college": 2 / 3, "institute": 1 / 3, "all": 1 / 2})
    (line,) = fig.layout.shapes
    assert line.y0 == 0.6
    assert "target ≤ 60% (illustrative)" in fig.layout.title.subtitle.text


def test_a_category_keeps_its_colour_between_overview_and_trend(overview, db, vocab, parse):
    filters = parse("")
    figs = charts(overview.build_overview(db, filters, "offerings", vocab))
    for chart_id, split in (
        ("chart-type", "type"),
        ("chart-delivery", "delivery"),
        ("chart-credit", "credit"),
        ("chart-partner", "partner"),
        ("chart-field", "field"),
    ):
        bar = figs[chart_id].data[0]
        bar_colours = dict(zip(bar.customdata, bar.marker.color))
        trend_colours = {
            t.customdata[0]: t.marker.color
            for t in go.Figure(overview.build_trend(db, filters, "offerings", split, vocab)).data
        }
        shared = set(bar_colours) & set(trend_colours)
        assert shared, chart_id
        assert {c: bar_colours[c] for c in shared} == {c: trend_colours[c] for c in shared}, chart_id


# --- targets panel -------------------------------------------------------------------------


def test_targets_panel_for_the_latest_period(overview, db, vocab, parse):
    filters = parse("")
    panel = overview.targets_panel(queries.metric_counts(db, filters), target_rules.targets(db), filters, vocab)
    rows = target_rows(panel)
    assert len(rows) == 9
    duration = rows["Under 288 hours"]
    assert "Framework rule" in duration and "87.5%" in duration and "≥ 100%" in duration and "Not met" in duration
    assert "British Columbia Institute of Technology (66.7%)" in duration
    ce = rows["Continuing education"]
    assert "Illustrative" in ce and "50.0%" in ce and "≤ 60%" in ce and "Met" in ce
    assert [t for t in ce if t.endswith("%)")] == ["Camosun College (66.7%)"]  # the only one over 60 %
    assert [t for t in rows["Assessed"] if t.endswith("%)")] == ["British Columbia Institute of Technology (66.7%)"]
    assert "all institutions meet it" in rows["Completion rate"]
    completion = rows["Completion rate"]
    assert f"{123 / 160:.1%}" in completion and "Met" in completion
    partner = rows["Partner-aligned"]
    assert "75.0%" in partner and "Not met" in partner
    # UBC meets it; BCIT and CAM are equally far (2 of 3).
    links = [t for t in partner if t.endswith("%)")]
    assert sorted(links) == ["British Columbia Institute of Technology (66.7%)", "Camosun College (66.7%)"]
    assert "all institutions meet it" in rows["Online or blended"]  # 2/3, 2/2 and 2/3 against >= 50 %
    assert [t for t in rows["Credit-bearing"] if t.endswith("%)")] == ["Camosun College (0.0%)"]


def test_targets_panel_lists_the_furthest_institutions_first(overview, db, vocab, parse):
    filters = parse("period=all")
    rows = target_rows(
        overview.targets_panel(queries.metric_counts(db, filters), target_rules.targets(db), filters, vocab)
    )
    # Credit-bearing >= 30 %: CAPU 0 of 2, BCIT 1 of 5, CAM 1 of 5; UBC 2 of 3 meets it.
    links = [t for t in rows["Credit-bearing"] if t.endswith("%)")]
    assert links[0] == "Capilano University (0.0%)"
    assert sorted(links[1:]) == ["British Columbia Institute of Technology (20.0%)", "Camosun College (20.0%)"]
    assert "Not met" in rows["Credit-bearing"] and f"{4 / 15:.1%}" in rows["Credit-bearing"]


def test_targets_panel_links_to_the_comparison_with_the_same_filters(overview, db, vocab, parse):
    filters = parse("period=2024/25&sector=institute&institution=BCIT")
    panel = overview.targets_panel(queries.metric_counts(db, filters), target_rules.targets(db), filters, vocab)
    hrefs = {link.href for link in find_all(panel, dcc.Link)}
    assert hrefs == {"/compare?period=2024/25&sector=institute&focus=BCIT"}


def test_targets_panel_with_nothing_to_assess(overview, db, vocab, parse):
    filters = parse("sector=teaching_university")
    panel = overview.targets_panel(queries.metric_counts(db, filters), target_rules.targets(db), filters, vocab)
    assert "no target can be assessed" in " ".join(texts(panel))


# --- trend ---------------------------------------------------------------------------------


def test_build_trend_titles_and_stacks(overview, db, vocab, parse):
    fig = go.Figure(overview.build_trend(db, parse("sector=college"), "offerings", "none", vocab))
    assert fig.layout.title.text == "Offerings per fiscal year"
    (trace,) = fig.data
    assert list(trace.x) == vocab.codes("period")
    assert list(trace.y) == [2, 0, 3]
    fig = go.Figure(overview.build_trend(db, parse(""), "enrolments", "sector", vocab))
    assert fig.layout.title.text == "Enrolments per fiscal year, by sector"
    by_sector = {t.customdata[0]: list(t.y) for t in fig.data}
    assert by_sector["institute"] == [0, 35, 60]
    assert by_sector["teaching_university"] == [0, 30, 0]
    assert [t.name for t in fig.data][:2] == ["Research university", "Teaching university"]


def test_build_trend_by_field_names_the_missing_field(overview, db, vocab, parse):
    fig = go.Figure(overview.build_trend(db, parse(""), "offerings", "field", vocab))
    names = {t.customdata[0]: t.name for t in fig.data}
    assert names[NOT_REPORTED] == theme.NOT_REPORTED_LABEL


# --- clicks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chart, code, expected",
    [
        ("chart-type", "technical_skill", ("type", "technical_skill")),
        ("chart-delivery", ["online"], ("delivery", "online")),
        ("chart-credit", "credit", ("credit", "credit")),
        ("chart-partner", "indigenous_community", ("partner", "indigenous_community")),
        ("chart-field", "health", ("field", "health")),
        ("chart-field", NOT_REPORTED, None),  # cannot be filtered on
        ("chart-ce-sector", "college", ("sector", "college")),
        ("chart-ce-sector", "all", None),
        ("chart-trend", "2023/24", ("period", "2023/24")),
        ("chart-type", None, None),
        ("chart-type", [], None),
        ("chart-unknown", "x", None),
    ],
)
def test_apply_click(overview, chart, code, expected):
    assert overview.apply_click(chart, code) == expected


# --- the callbacks, through Dash's callback endpoint --------------------------------------

FILTER_NAMES = list(PARAMETERS)


def fid(name: str) -> dict:
    return {"type": "filter", "name": name}


def stringify(id_) -> str:
    return json.dumps(id_, sort_keys=True, separators=(",", ":")) if isinstance(id_, dict) else id_


def filter_values(**values) -> list[dict]:
    return [{"id": fid(n), "property": "value", "value": values.get(n, [])} for n in FILTER_NAMES]


def dependency(client, output_part: str) -> str:
    (output,) = [d["output"] for d in client.get("/_dash-dependencies").json if output_part in d["output"]]
    return output


def plotly_array(value) -> list:
    """Plotly sends numeric arrays base64-encoded ({"dtype", "bdata"})."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def post(client, body) -> tuple[int, dict | None]:
    response = client.post("/_dash-update-component", json=body)
    return response.status_code, (response.json if response.status_code == 200 else None)


SPLIT_ID = {"type": "urlparam", "name": "split", "default": "sector"}
CHART_CSVS = ("/export/chart/chart-type.csv", "/export/chart/chart-trend.csv")


def overview_body(client, measure="offerings", split="sector", changed: str | None = None, **values) -> dict:
    """The overview's one data callback, as the renderer sends it after ``changed`` (a property id;
    the sector filter by default) changed."""
    outputs = [
        {"id": f"kpi-{k}", "property": "children"}
        for k in ("offerings", "institutions", "enrolments", "completions", "ce-share")
    ]
    outputs += [{"id": f"{o['id']}-change", "property": "children"} for o in list(outputs)]
    outputs += [
        {"id": c, "property": "figure"}
        for c in ("chart-type", "chart-delivery", "chart-credit", "chart-partner", "chart-field", "chart-ce-sector")
    ]
    outputs.append({"id": "targets-panel", "property": "children"})
    outputs.append({"id": "overview-reporting", "property": "children"})
    outputs.append({"id": "chart-trend", "property": "figure"})
    outputs.append([{"id": {"type": "download-link", "path": p}, "property": "href"} for p in CHART_CSVS])
    measure_id = {"type": "urlparam", "name": "measure", "default": "offerings"}
    return {
        "output": dependency(client, "kpi-offerings.children"),
        "outputs": outputs,
        "inputs": [
            filter_values(**values),
            [{"id": measure_id, "property": "value", "value": measure}],
            [{"id": SPLIT_ID, "property": "value", "value": split}],
        ],
        "state": [],
        "changedPropIds": [changed or f"{stringify(fid('sector'))}.value"],
    }


@pytest.fixture
def client(overview_app):
    return overview_app.server.test_client()


def test_update_overview_callback(client):
    status, body = post(client, overview_body(client, period=[P24], sector=["college"]))
    assert status == 200
    response = body["response"]
    assert response["kpi-offerings"]["children"] == "3"
    assert response["kpi-enrolments"]["children"] == "35"
    assert response["kpi-ce-share"]["children"] == "66.7%"
    assert response["kpi-offerings-change"]["children"] == "no data for the year before"
    # Code-list order from the top (plotly draws the last bar on top).
    assert response["chart-type"]["figure"]["data"][0]["customdata"] == ["teaser", "technical_skill", "upskilling"]
    assert "targets-table" in json.dumps(response["targets-panel"]["children"])


def test_update_overview_callback_with_an_emptied_period_box_shows_every_period(client):
    status, body = post(client, overview_body(client, measure="enrolments"))
    assert status == 200
    assert body["response"]["kpi-offerings"]["children"] == str(15)
    assert body["response"]["kpi-enrolments-change"]["children"] == "all selected years"


def test_update_overview_callback_ignores_unknown_values(client):
    status, body = post(client, overview_body(client, period=[P24], sector=["nope"]))
    assert status == 200
    assert body["response"]["kpi-offerings"]["children"] == "8"


def test_update_overview_callback_draws_the_trend_and_a_split_change_redraws_it_alone(client):
    status, body = post(client, overview_body(client, split="ce", period=[P23]))
    assert status == 200
    traces = body["response"]["chart-trend"]["figure"]["data"]
    assert {t["customdata"][0]: plotly_array(t["y"]) for t in traces} == {"yes": [1, 3, 4], "no": [1, 2, 4]}
    assert "kpi-offerings" in body["response"]
    status, body = post(
        client, overview_body(client, split="type", changed=f"{stringify(SPLIT_ID)}.value", period=[P23])
    )
    assert status == 200
    assert set(body["response"]) == {"chart-trend", *map(link_key, CHART_CSVS)}  # the other outputs stay
    assert {t["customdata"][0] for t in body["response"]["chart-trend"]["figure"]["data"]} >= {"teaser"}


def link_key(path: str) -> str:
    return stringify({"type": "download-link", "path": path})


def chart_links(body: dict) -> list[str]:
    return [body["response"][link_key(p)]["href"] for p in CHART_CSVS]


def test_the_charts_download_links_follow_the_filters_the_measure_and_the_split(client):
    """The links under the charts are the change's output too: the CSV is the view's."""
    status, body = post(client, overview_body(client, period=[P24], sector=["college", "institute"]))
    assert status == 200
    assert chart_links(body) == [f"{p}?period={P24}&sector=college,institute" for p in CHART_CSVS]
    status, body = post(client, overview_body(client, measure="enrolments", split="none", type=["pathway"]))
    assert chart_links(body) == [f"{p}?period=all&type=pathway&measure=enrolments&split=none" for p in CHART_CSVS]
    status, body = post(client, overview_body(client, split="ce", changed=f"{stringify(SPLIT_ID)}.value"))
    assert chart_links(body) == [f"{p}?period=all&split=ce" for p in CHART_CSVS]


def test_a_download_link_the_overview_does_not_draw_is_refused_without_an_error(client):
    body = overview_body(client, period=[P24])
    body["outputs"][-1] = [{"id": {"type": "download-link", "path": "javascript:alert(1)"}, "property": "href"}]
    assert post(client, body) == (204, None)


def cross_filter_body(client, chart: str, point: dict | None, **values) -> dict:
    charts = [
        "chart-type",
        "chart-delivery",
        "chart-credit",
        "chart-partner",
        "chart-field",
        "chart-ce-sector",
        "chart-trend",
    ]
    click = {"points": [point]} if point else None
    return {
        "output": _cross_filter_output(client),
        "outputs": [{"id": fid(n), "property": "value"} for n in FILTER_NAMES],
        "inputs": [{"id": c, "property": "clickData", "value": click if c == chart else None} for c in charts],
        "state": [filter_values(**values), [{"id": fid(n), "property": "id", "value": fid(n)} for n in FILTER_NAMES]],
        "changedPropIds": [f"{chart}.clickData"],
    }


def _cross_filter_output(client) -> str:
    (output,) = [
        d["output"]
        for d in client.get("/_dash-dependencies").json
        if d["output"].startswith(stringify({"name": ["ALL"], "type": "filter"}))
        and d["inputs"][0]["id"] == "chart-type"
    ]
    return output


def changed_filters(body) -> dict:
    return {json.loads(k)["name"]: v["value"] for k, v in body["response"].items()}


def test_clicking_a_bar_adds_its_category(client):
    status, body = post(
        client,
        cross_filter_body(client, "chart-type", {"customdata": "technical_skill"}, period=[P24], type=["pathway"]),
    )
    assert status == 200
    assert changed_filters(body) == {"type": ["pathway", "technical_skill"]}


def test_clicking_a_selected_bar_again_removes_it(client):
    status, body = post(
        client,
        cross_filter_body(client, "chart-partner", {"customdata": "none"}, period=[P24], partner=["none", "community"]),
    )
    assert status == 200
    assert changed_filters(body) == {"partner": ["community"]}


def test_clicking_a_period_in_the_trend_selects_that_period(client):
    status, body = post(
        client, cross_filter_body(client, "chart-trend", {"x": P23, "customdata": "college"}, period=[P24, "2022/23"])
    )
    assert status == 200
    assert changed_filters(body) == {"period": [P23]}


def test_clicking_the_ce_chart_filters_by_sector(client):
    status, body = post(client, cross_filter_body(client, "chart-ce-sector", {"customdata": "college"}, period=[P24]))
    assert changed_filters(body) == {"sector": ["college"]}


@pytest.mark.parametrize(
    "chart, point",
    [
        ("chart-field", {"customdata": NOT_REPORTED}),
        ("chart-ce-sector", {"customdata": "all"}),
        ("chart-type", None),
    ],
)
def test_clicks_that_cannot_filter_change_nothing(client, chart, point):
    status, body = post(client, cross_filter_body(client, chart, point, period=[P24]))
    # Every output no_update: Dash 4 answers 200 with nothing to update (older Dash: 204).
    assert status in (200, 204)
    assert body is None or body["response"] == {}


def test_the_page_renders_with_a_notice_for_unknown_filter_values(client):
    router = dependency(client, "_pages_content.children")
    status, body = post(
        client,
        {
            "output": router,
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": "/"},
                {"id": "_pages_location", "property": "search", "value": "?sector=nope,college&type=TEASER"},
            ],
            "state": [],
            "changedPropIds": ["_pages_location.pathname"],
        },
    )
    assert status == 200
    page = json.dumps(body["response"]["_pages_content"]["children"])
    assert "filter-notice" in page
    assert "unknown sector 'nope'" in page and "research_university" in page
    assert "kpi-offerings" in page


def test_filters_of_the_page_come_from_the_url(overview, overview_app):
    with overview_app.server.test_request_context("/"):
        layout = overview.layout(sector="college", institution=["CAM", "bcit"], period="2023-24", measure="enrolments")
    dropdowns = {
        d.id["name"]: d.value
        for d in find_all(layout, dcc.Dropdown)
        if isinstance(d.id, dict) and d.id.get("type") == "filter"
    }
    assert dropdowns["sector"] == ["college"]
    assert dropdowns["institution"] == ["CAM", "BCIT"]
    assert dropdowns["period"] == [P23]
    assert set(dropdowns) == set(FILTER_NAMES)
    assert not any(getattr(a, "id", None) == "filter-notice" for a in find_all(layout, html.Div))
    assert "filter-notice" not in json.dumps(layout.to_plotly_json(), default=str)


def test_filters_parse_the_same_as_the_callbacks(overview, vocab):
    # The page's inputs list holds [] for an emptied period box: that means every period.
    from dashboard.data.filters import values_from_controls as values_from_inputs

    filters, problems = Filters.parse(values_from_inputs(filter_values(sector=["college"])), vocab, strict=False)
    assert problems == []
    assert filters.period == () and filters.explicit_period
    assert filters.sector == ("college",)


def test_every_app_owns_its_page_callbacks_once(app_factory, db_path):
    first, second = app_factory(db_path), app_factory(db_path)
    for app in (first, second):
        outputs = [d["output"] for d in app.server.test_client().get("/_dash-dependencies").json]
        assert len(outputs) == len(set(outputs))
        assert any("kpi-offerings.children" in o for o in outputs)
