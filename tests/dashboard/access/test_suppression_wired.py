"""Small-cell suppression as the viewer gets it: in the data layer (dashboard/data/privacy.py,
applied by the Reader's scope) and through the doors (chart and peer CSVs, Dash callbacks),
on the fixture warehouse of tests/dashboard/conftest.py, counted by hand.

Enrolments by type, 2024/25 (160 in all):
    technical_skill 55 (BCIT 30 + 10, CAM 15)    pathway 40 (UBC)    upskilling 32 (BCIT 20, CAM 12)
    transferable_skill 25 (UBC)                  teaser 8 (CAM)
For the public, teaser (8) is small: "<10". Primary suppression alone would leave
160 - 55 - 40 - 32 - 25 = 8, so a second cell must go: the smallest, transferable_skill (25),
shown as "x". Only this complementary cell stops the derivation.

For BCIT's staff, who know BCIT's own 30 + 10 + 20, the others' parts are technical_skill 15,
upskilling 12, pathway 40, transferable 25, teaser 8: teaser is hidden, and the complementary
cell is upskilling (others' part 12, the smallest), since 160 - 60 (own) - 15 - 40 - 25 = 8 + 12.

Field of study math_cs, 2024/25: BCIT 30, CAM 8 (enrolments). In the comparison's peer table
CAM's 8 is hidden, and so is BCIT's 30 ("x"): the province total 38 would give CAM's away.
"""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from access_helpers import callback_body, find_callback

from dashboard.access.actor import Scope
from dashboard.data import compare, overview
from dashboard.data.database import Database
from dashboard.data.filters import Filters
from dashboard.data.reference import institutions, vocabulary
from dashboard.data.state import PeerChoice

PUBLIC = Scope("public")
BCIT = Scope("institution", "BCIT")
MINISTRY = Scope("ministry")


@pytest.fixture
def reader_for(db_path):
    database = Database(db_path)
    return database.reader


def _filters(reader, query: str) -> Filters:
    filters, problems = Filters.parse(query, vocabulary(reader), strict=True)
    assert not problems
    return filters


def _by_type(reader, query="period=2024/25"):
    frame = overview.breakdowns(reader, _filters(reader, query))["type"]
    marks = frame.get("enrolments_mark", [""] * len(frame))
    return {c: (m or int(v)) for c, v, m in zip(frame.category, frame.enrolments, marks)}


def test_the_ministry_sees_every_count(reader_for):
    assert _by_type(reader_for(MINISTRY)) == {
        "technical_skill": 55,
        "pathway": 40,
        "upskilling": 32,
        "transferable_skill": 25,
        "teaser": 8,
    }


def test_the_public_gets_a_small_cell_and_its_complementary_cell_hidden(reader_for):
    shown = _by_type(reader_for(PUBLIC))
    assert shown == {"technical_skill": 55, "pathway": 40, "upskilling": 32, "transferable_skill": "x", "teaser": "<10"}
    now, _ = overview.headline(reader_for(PUBLIC), _filters(reader_for(PUBLIC), "period=2024/25"))
    assert now.enrolments == 160
    # What is shown no longer gives the small cell away: only the sum of the two hidden ones.
    assert now.enrolments - sum(v for v in shown.values() if isinstance(v, int)) == 8 + 25


def test_an_institution_knows_its_own_part_so_others_parts_are_protected(reader_for):
    shown = _by_type(reader_for(BCIT))
    assert shown == {"technical_skill": 55, "pathway": 40, "upskilling": "x", "transferable_skill": 25, "teaser": "<10"}
    # Its own institution alone: nothing of anyone else's, nothing hidden.
    assert _by_type(reader_for(BCIT), "period=2024/25&institution=BCIT") == {
        "technical_skill": 40,
        "upskilling": 20,
    }


def test_shares_resting_on_a_hidden_count_are_withheld(reader_for):
    frame = overview.breakdowns(reader_for(PUBLIC), _filters(reader_for(PUBLIC), "period=2024/25"))["type"]
    share = dict(zip(frame.category, frame.enrolments_share))
    assert math.isnan(share["teaser"]) and math.isnan(share["transferable_skill"])
    assert share["pathway"] == pytest.approx(40 / 160)
    # The sector x continuing-education grid: CAM's 8 enrolments outside CE (college, no) are
    # small, so the college row cannot be shown either.
    grid = overview.breakdowns(reader_for(PUBLIC), _filters(reader_for(PUBLIC), "period=2024/25"))["sector_ce"]
    college = grid[grid.category == "college"]
    assert college.enrolments.isna().all() and set(college.enrolments_mark) == {"<10", "x"}


def test_a_headline_under_the_threshold_is_hidden_with_its_rate(reader_for):
    reader = reader_for(PUBLIC)
    now, _ = overview.headline(reader, _filters(reader, "period=2024/25&type=teaser"))
    assert now.enrolments is None and now.completions is None and now.mark("enrolments") == "<10"
    counts = overview.metric_counts(reader, _filters(reader, "period=2024/25&type=teaser"))
    assert counts.n_enrolments.isna().all()  # the province's and CAM's: the completion rate is withheld
    assert math.isnan(overview.metric_values(counts, "completion_rate", "enrolments").iloc[-1])


def test_the_peer_table_hides_a_small_institution_and_its_complement(reader_for):
    reader = reader_for(PUBLIC)
    vocab = vocabulary(reader)
    filters = _filters(reader, "period=2024/25&field=math_computer_science")
    insts = institutions(reader)
    peers = compare.peer_codes(insts, "CAM", PeerChoice("all"))
    table = compare.peer_table(compare.institution_profile(reader, filters, vocab), insts, "CAM", peers, vocab)
    rows = table.set_index("code")
    assert rows.at["CAM", "enrolments"] is None and rows.at["CAM", "enrolments_mark"] == "<10"
    assert rows.at["BCIT", "enrolments"] is None and rows.at["BCIT", "enrolments_mark"] == "x"
    assert math.isnan(rows.at["CAM", "completion_rate"]) and math.isnan(rows.at["BCIT", "completion_rate"])
    # The ministry sees them all.
    ministry = reader_for(MINISTRY)
    full = compare.peer_table(
        compare.institution_profile(ministry, filters, vocab), insts, "CAM", peers, vocab
    ).set_index("code")
    assert (full.at["CAM", "enrolments"], full.at["BCIT", "enrolments"]) == (8, 30)


# --- through the doors ---------------------------------------------------------------------------


@pytest.fixture
def clients(public_site):
    return public_site.client


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_chart_download_follows_the_same_rules(clients):
    rows = {
        r["category"]: r
        for r in _csv(clients(None).get("/export/chart/chart-type.csv?period=2024/25&measure=enrolments"))
    }
    assert (rows["teaser"]["enrolments"], rows["teaser"]["share"]) == ("<10", "")
    assert (rows["transferable_skill"]["enrolments"], rows["transferable_skill"]["share"]) == ("x", "")
    assert rows["pathway"]["enrolments"] == "40"
    ministry = {
        r["category"]: r for r in _csv(clients("ana@gov.bc.ca").get("/export/chart/chart-type.csv?period=2024/25"))
    }
    assert ministry["teaser"]["offerings"] and "enrolments" not in ministry["teaser"]  # the chart counts offerings
    ministry = {
        r["category"]: r
        for r in _csv(clients("ana@gov.bc.ca").get("/export/chart/chart-type.csv?period=2024/25&measure=enrolments"))
    }
    assert ministry["teaser"]["enrolments"] == "8"
    # The continuing-education chart's download withholds what its bars withhold.
    sectors = _csv(clients(None).get("/export/chart/chart-ce-sector.csv?period=2024/25&measure=enrolments"))
    withheld = [r for r in sectors if r["share"] == ""]
    assert all(r["enrolments"] == "x" for r in withheld)


def test_the_peer_download_follows_the_same_rules(clients):
    for who in (None, "lee@bcit.ca"):
        rows = {
            r["institution_code"]: r
            for r in _csv(
                clients(who).get("/export/peers.csv?period=2024/25&field=math_computer_science&focus=CAM&peers=all")
            )
        }
        assert rows["CAM"]["enrolments"] == "<10" and rows["CAM"]["completions"] == "<10", who
        assert rows["CAM"]["completion_rate"] == ""
    public = {
        r["institution_code"]: r
        for r in _csv(
            clients(None).get("/export/peers.csv?period=2024/25&field=math_computer_science&focus=CAM&peers=all")
        )
    }
    assert public["BCIT"]["enrolments"] == "x"
    # BCIT's staff see BCIT's own 30 in full: knowing it, they cannot subtract anything new.
    own = {
        r["institution_code"]: r
        for r in _csv(
            clients("lee@bcit.ca").get(
                "/export/peers.csv?period=2024/25&field=math_computer_science&focus=CAM&peers=all"
            )
        )
    }
    assert own["BCIT"]["enrolments"] == "30"


def _overview_response(client, query: dict) -> str:
    dep = find_callback(client, "kpi-offerings.children")
    body = callback_body(dep, {"filter": query, "measure": "enrolments"})
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text[:400]
    return response.get_data(as_text=True)


def test_the_overview_callback_never_sends_a_hidden_count(clients):
    text = _overview_response(clients(None), {"period": ["2024/25"]})
    data = json.loads(text)["response"]
    chart = data["chart-type"]["figure"]["data"][0]
    by_code = dict(zip(chart["customdata"], zip(chart["x"], chart["text"])))
    assert by_code["teaser"] == (0.0, "<10") and by_code["transferable_skill"] == (0.0, "x")
    assert by_code["pathway"][0] == 40
    # Nowhere in the response: not in hover text, not as a value, not as a share (8/160, 25/160).
    for chart_id in ("chart-type",):
        figure = json.dumps(data[chart_id])
        assert "8 enrolments" not in figure and "25 enrolments" not in figure and "16%" not in figure
        assert "5%" not in figure.replace("25%", "")
    # The ministry gets the numbers.
    ministry = json.loads(_overview_response(clients("ana@gov.bc.ca"), {"period": ["2024/25"]}))["response"]
    chart = ministry["chart-type"]["figure"]["data"][0]
    assert dict(zip(chart["customdata"], chart["x"]))["teaser"] == 8


def test_the_headline_callback_hides_a_small_total(clients):
    data = json.loads(_overview_response(clients(None), {"period": ["2024/25"], "type": ["teaser"]}))["response"]
    assert data["kpi-enrolments"]["children"] == "<10" and data["kpi-completions"]["children"] == "<10"
    assert '"8"' not in json.dumps(data["kpi-enrolments"])


def test_the_peer_grid_callback_sends_marks_not_counts(clients):
    client = clients(None)
    dep = find_callback(client, "compare-peers-grid.rowData")
    body = callback_body(
        dep, {"filter": {"period": ["2024/25"], "field": ["math_computer_science"]}, "focus": "CAM", "peers": "all"}
    )
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text[:400]
    rows = {r["code"]: r for r in response.get_json()["response"]["compare-peers-grid"]["rowData"]}
    assert rows["CAM"]["enrolments"] is None and rows["CAM"]["enrolments_mark"] == "<10"
    assert rows["BCIT"]["enrolments"] is None and rows["BCIT"]["completions"] is None
    assert rows["CAM"]["completion_rate"] is None


def _page(client, path: str, search: str = "") -> str:
    """A page's content as Dash's page router sends it (its layout callback)."""
    dep = find_callback(client, "_pages_content.children")
    body = callback_body(dep, {"_pages_location.pathname": path, "_pages_location.search": search})
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text[:300]
    return response.get_data(as_text=True)


def _figure_in_page(page: str, graph_id: str) -> dict:
    """The figure the page's layout gives graph ``graph_id``."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == graph_id and "figure" in node["props"]:
                found.append(node["props"]["figure"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(page))
    assert len(found) == 1, f"{graph_id}: {len(found)} figures in the page"
    return found[0]


def test_the_overview_page_draws_its_first_view_with_the_same_hidden_counts(clients):
    """The layout draws the first view itself (no data callback on a visit), hidden as the callback hides it."""
    query = "?period=2024/25&measure=enrolments"
    chart = _figure_in_page(_page(clients(None), "/", query), "chart-type")["data"][0]
    by_code = dict(zip(chart["customdata"], zip(chart["x"], chart["text"])))
    assert by_code["teaser"] == (0.0, "<10") and by_code["transferable_skill"] == (0.0, "x")
    assert by_code["pathway"][0] == 40
    figure = json.dumps(chart)
    assert "8 enrolments" not in figure and "25 enrolments" not in figure
    ministry = _figure_in_page(_page(clients("ana@gov.bc.ca"), "/", query), "chart-type")["data"][0]
    assert dict(zip(ministry["customdata"], ministry["x"]))["teaser"] == 8


def test_the_legend_is_on_the_public_and_institution_pages_and_not_for_the_ministry(clients):
    for path in ("/", "/compare"):
        assert "Small counts are hidden" in _page(clients(None), path)
        assert "other than BCIT" in _page(clients("lee@bcit.ca"), path)
        assert "Small counts are hidden" not in _page(clients("ana@gov.bc.ca"), path)
