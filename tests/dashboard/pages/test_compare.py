"""The portfolio comparison (/compare) against a fixture warehouse counted by hand.

The submissions below are written as CSV files and loaded through the ETL. Latest
period 2024/25 (enrolments / completions; 40 hours and assessed unless noted):

  BCIT (institute, Mainland/Southwest)
    B1 technical_skill online  non_credit employer             CE yes  20/10
    B2 technical_skill onsite  credit     employer             CE no   10/9
    B3 pathway         online  non_credit none                 CE yes  10/5   300 h, no assessment
    B4 upskilling      blended non_credit indigenous_community CE yes  10/8
    B5 teaser          online  non_credit community            CE no   10/8
    -> 5 offerings, 60/40 (66.7 %), CE 3/5, credit 1/5, compliant 4/5 (B3 fails all three rules)
  JIBC (institute, Mainland/Southwest)
    J1 technical_skill online credit employer   CE no 10/6
    J2 pathway         onsite credit government CE no 10/4
    -> 2 offerings (n<5), 20/10 (50 %), CE 0, credit 2/2, compliant 2/2
  UBC (research university, Mainland/Southwest)
    U1 pathway online credit indigenous_community CE no 30/27
    U2 pathway online credit community CE no 10/9
    U3 transferable_skill blended non_credit employer CE yes 10/9
    U4 technical_skill onsite non_credit none CE yes 10/9
    -> 4 offerings, 60/54 (90 %), CE 2/4, credit 2/4, compliant 3/4
  DOUG (college, Mainland/Southwest)
    D1 upskilling online non_credit employer CE yes 10/2 -> 1 offering, 20 %
  NVIT (institute, Thompson-Okanagan): its 2024/25 file is rejected (unknown type).
  CAM: nothing received.
  Province 2024/25: 12 offerings (BCIT 5, JIBC 2, UBC 4, DOUG 1), 150 enrolments, 106 completions.

2023/24: BCIT B1 technical_skill online non_credit employer CE yes 10/5;
         JIBC J1 10/8 and J2 10/6 (both onsite credit government CE no); NVIT N1 online non_credit employer CE yes 10/5.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from layout_tree import find_all, texts

from dashboard.data import compare as cq
from dashboard.data import overview as queries
from dashboard.data import targets as target_rules
from dashboard.data.database import Database
from dashboard.data.filters import Filters
from dashboard.data.state import PeerChoice, parse_focus, parse_peers
from dashboard.exports.csv import cell as safe_cell
from dashboard.figures import compare as compare_figures
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files

P24, P23 = "2024/25", "2023/24"


HEADER = (
    "institution_code,reporting_period,offering_id,title,mc_type,delivery_mode,credit_status,credits,"
    "partner_categories,continuing_education,duration_hours,assessment,enrolments,completions"
)


def r(
    inst,
    oid,
    mc_type,
    delivery,
    credit,
    partners,
    ce,
    enrolments,
    completions,
    period=P24,
    hours="40",
    assessment="yes",
) -> str:
    """One CSV row in HEADER's order."""
    return ",".join(
        [
            inst,
            period,
            oid,
            f"{inst} {oid}",
            mc_type,
            delivery,
            credit,
            "3" if credit == "credit" else "",
            partners,
            ce,
            hours,
            assessment,
            str(enrolments),
            str(completions),
        ]
    )


FILES = {
    "bcit_2024.csv": [
        r("BCIT", "B1", "technical_skill", "online", "non_credit", "employer_industry", "yes", 20, 10),
        r("BCIT", "B2", "technical_skill", "onsite", "credit", "employer_industry", "no", 10, 9),
        r("BCIT", "B3", "pathway", "online", "non_credit", "none", "yes", 10, 5, hours="300", assessment="no"),
        r("BCIT", "B4", "upskilling", "blended", "non_credit", "indigenous_community", "yes", 10, 8),
        r("BCIT", "B5", "teaser", "online", "non_credit", "community", "no", 10, 8),
    ],
    "jibc_2024.csv": [
        r("JIBC", "J1", "technical_skill", "online", "credit", "employer_industry", "no", 10, 6),
        r("JIBC", "J2", "pathway", "onsite", "credit", "government", "no", 10, 4),
    ],
    "ubc_2024.csv": [
        r("UBC", "U1", "pathway", "online", "credit", "indigenous_community", "no", 30, 27),
        r("UBC", "U2", "pathway", "online", "credit", "community", "no", 10, 9),
        r("UBC", "U3", "transferable_skill", "blended", "non_credit", "employer_industry", "yes", 10, 9),
        r("UBC", "U4", "technical_skill", "onsite", "non_credit", "none", "yes", 10, 9),
    ],
    "doug_2024.csv": [r("DOUG", "D1", "upskilling", "online", "non_credit", "employer_industry", "yes", 10, 2)],
    "nvit_2024_rejected.csv": [r("NVIT", "N9", "no_such_type", "online", "non_credit", "community", "yes", 5, 5)],
    "bcit_2023.csv": [
        r("BCIT", "B1", "technical_skill", "online", "non_credit", "employer_industry", "yes", 10, 5, period=P23)
    ],
    "jibc_2023.csv": [
        r("JIBC", "J1", "technical_skill", "onsite", "credit", "government", "no", 10, 8, period=P23),
        r("JIBC", "J2", "pathway", "onsite", "credit", "government", "no", 10, 6, period=P23),
    ],
    "nvit_2023.csv": [
        r("NVIT", "N1", "technical_skill", "online", "non_credit", "employer_industry", "yes", 10, 5, period=P23)
    ],
}

TARGETS = """
[[target]]
metric = "ce_share"
comparator = "<="
value = 0.60
source = "illustrative"

[[target]]
metric = "ce_share"
comparator = "<="
value = 0.50
source = "institute sector"
sector = "institute"

[[target]]
metric = "ce_share"
comparator = "<="
value = 0.40
source = "BCIT's own"
institution = "BCIT"

[[target]]
metric = "credit_share"
comparator = ">="
value = 0.30
source = "illustrative"

[[target]]
metric = "duration_compliance"
comparator = ">="
value = 1.00
source = "B.C. framework (2021)"

[[target]]
metric = "completion_rate"
comparator = ">="
value = 0.70
source = "illustrative"
basis = "enrolments"
"""


def build(folder: Path, targets: str | None = None) -> Path:
    data_dir = DEFAULT_DATA_DIR
    if targets is not None:
        data_dir = folder / "data"
        data_dir.mkdir(parents=True)
        for reference in DEFAULT_DATA_DIR.iterdir():  # institutions, deadlines...: all but the targets
            if reference.is_file() and reference.name != "targets.toml":
                shutil.copy(reference, data_dir / reference.name)
        (data_dir / "targets.toml").write_text(targets, encoding="utf-8")
    settings = Settings(db_path=folder / "warehouse.duckdb", data_dir=data_dir)
    paths = []
    for name, rows in FILES.items():
        path = folder / name
        path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        paths.append(path)
    outcomes = load_files(paths, settings)
    expected = {n: "rejected" if "rejected" in n else "accepted" for n in FILES}
    assert {o.file: o.status for o in outcomes} == expected, [(o.file, o.issues) for o in outcomes]
    return settings.db_path


@pytest.fixture(scope="module")
def cmp_db_path(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("compare"))


@pytest.fixture
def cdb(cmp_db_path) -> Database:
    return Database(cmp_db_path).reader()


@pytest.fixture
def cvocab(cdb):
    return queries.vocabulary(cdb)


@pytest.fixture
def filters_of(cvocab):
    def parse(query: str = "") -> Filters:
        return Filters.parse(query, cvocab, strict=True)[0]

    return parse


@pytest.fixture
def setup(cdb, cvocab, filters_of):
    """(profile, institutions) for a query string."""

    def make(query: str = ""):
        return cq.institution_profile(cdb, filters_of(query), cvocab), cq.institutions(cdb)

    return make


def by(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for col, value in where.items():
        mask &= frame[col] == value
    (index,) = frame.index[mask]
    return frame.loc[index]


# --- page state ---------------------------------------------------------------------------------------


def test_peers_parameter(cvocab):
    assert parse_peers(None, cvocab) == (PeerChoice("sector"), [])
    assert parse_peers("REGION", cvocab) == (PeerChoice("region"), [])
    assert parse_peers("all", cvocab) == (PeerChoice("all"), [])
    assert parse_peers("ubc, doug,UBC", cvocab) == (PeerChoice("custom", ("UBC", "DOUG")), [])
    choice, problems = parse_peers("UBC,NOPE", cvocab)
    assert choice == PeerChoice("custom", ("UBC",)) and "unknown peer 'NOPE'" in problems[0]
    assert PeerChoice("custom", ("UBC", "DOUG")).to_param() == "UBC,DOUG"
    assert parse_focus("bcit", cvocab) == ("BCIT", [])
    focus, problems = parse_focus("XYZ", cvocab)
    assert focus is None and "unknown focus 'XYZ'" in problems[0]


def test_filters_parse_skips_focus_and_peers(cvocab):
    filters, problems = Filters.parse("period=2024/25&focus=BCIT&peers=UBC,DOUG", cvocab, strict=True)
    assert problems == [] and filters.period == (P24,)


# --- peer groups -----------------------------------------------------------------------------------------


def test_peer_groups(setup):
    _, insts = setup()
    assert cq.peer_codes(insts, "BCIT", PeerChoice("sector")) == ["JIBC", "NVIT"]
    region = cq.peer_codes(insts, "BCIT", PeerChoice("region"))
    expected = list(insts[(insts.region == "Mainland/Southwest") & (insts.code != "BCIT")].code)
    assert region == expected and {"UBC", "DOUG", "JIBC"} <= set(region) and "NVIT" not in region
    assert len(cq.peer_codes(insts, "BCIT", PeerChoice("all"))) == len(insts) - 1
    # Hand-picked: reference order, never the focus itself.
    assert cq.peer_codes(insts, "BCIT", PeerChoice("custom", ("DOUG", "BCIT", "UBC"))) == ["UBC", "DOUG"]
    assert cq.peer_codes(insts, "NOPE", PeerChoice("all")) == []


def test_profile_counts(setup):
    profile, _ = setup()
    t = profile.totals
    assert dict(t.n_offerings) == {"BCIT": 5, "DOUG": 1, "JIBC": 2, "UBC": 4}
    assert dict(t.n_enrolments) == {"BCIT": 60, "DOUG": 10, "JIBC": 20, "UBC": 60}
    assert dict(t.n_completions) == {"BCIT": 40, "DOUG": 2, "JIBC": 10, "UBC": 54}
    assert dict(t.n_compliant) == {"BCIT": 4, "DOUG": 1, "JIBC": 2, "UBC": 3}
    cats = profile.categories
    assert cats.loc["BCIT", ("type", "technical_skill")] == 2
    assert cats.loc["UBC", ("partner", "none")] == 1 and cats.loc["UBC", ("partner", "community")] == 1
    assert cats.loc["BCIT", ("ce", "yes")] == 3 and cats.loc["BCIT", ("ce", "no")] == 2
    assert cats.loc["BCIT", ("field", "not_reported")] == 5


def test_composition_focus_peers_province(setup, cvocab):
    profile, insts = setup()
    comp = cq.composition(profile, "BCIT", cq.peer_codes(insts, "BCIT", PeerChoice("sector")), cvocab)
    credit = by(comp, dimension="credit", category="credit")
    assert (credit.focus_n, credit.focus_base, credit.peers_n, credit.peers_base) == (1, 5, 2, 2)
    assert credit.focus_share == pytest.approx(0.2) and credit.peers_share == pytest.approx(1.0)
    assert credit.province_share == pytest.approx(5 / 12)
    assert credit.gap_pts == pytest.approx(-80) and credit.large
    tech = by(comp, dimension="type", category="technical_skill")
    assert (tech.focus_share, tech.peers_share, tech.province_share) == pytest.approx((0.4, 0.5, 4 / 12))
    assert tech.large  # -10 points exactly is called out
    employer = by(comp, dimension="partner", category="employer_industry")
    assert (employer.focus_n, employer.peers_n, employer.province_n) == (2, 1, 5)
    ce = by(comp, dimension="ce", category="yes")
    assert (ce.focus_share, ce.peers_share, ce.province_share) == pytest.approx((0.6, 0.0, 0.5))
    # Categories nobody in the province uses are left out.
    assert "assessment_only" not in set(comp[comp.dimension == "type"].category)
    big = cq.standouts(comp)
    assert big.iloc[0].category in ("credit", "non_credit") and abs(big.iloc[0].gap_pts) == pytest.approx(80)
    assert big.small.all()  # the peers' shares rest on JIBC's 2 offerings
    assert set(big[big.direction == "ahead"].category) >= {"yes", "non_credit"}


def test_scorecard_ranks_medians_and_most_specific_target(tmp_path, cvocab):
    db = Database(build(tmp_path, TARGETS)).reader()
    vocab = queries.vocabulary(db)
    filters = Filters.parse("period=2024/25", vocab)[0]
    profile, insts = cq.institution_profile(db, filters, vocab), cq.institutions(db)

    def card(focus, kind):
        sector = insts.set_index("code").at[focus, "sector"]
        targets = target_rules.targets_for(db, P24, sector, focus)
        assert targets == target_rules.choose_targets(target_rules.targets(db), P24, sector, focus)
        rows = cq.scorecard(profile, targets, focus, cq.peer_codes(insts, focus, PeerChoice(kind)))
        return {row.metric: row for row in rows}

    sector = card("BCIT", "sector")
    assert list(sector)[0] == "duration_compliance" and {"ce_share", "credit_share", "completion_rate"} <= set(sector)
    ce = sector["ce_share"]
    assert (ce.value, ce.target, ce.source, ce.met) == (pytest.approx(0.6), 0.4, "BCIT's own", False)
    assert (ce.peer_median, ce.rank, ce.ranked) == (0.0, 2, 2)  # only JIBC reported; lower is better
    completion = sector["completion_rate"]
    assert completion.value == pytest.approx(40 / 60) and completion.met is False
    assert (completion.peer_median, completion.rank, completion.ranked, completion.base) == (0.5, 1, 2, 60)

    region = card("BCIT", "region")  # UBC, DOUG and JIBC reported
    assert (region["completion_rate"].rank, region["completion_rate"].ranked) == (2, 4)
    assert region["completion_rate"].peer_median == pytest.approx(0.5)  # median of 0.9, 0.2, 0.5
    assert (region["ce_share"].rank, region["ce_share"].peer_median) == (3, pytest.approx(0.5))  # 0 < .5 < .6 < 1
    # Ties share the better rank: JIBC, UBC and DOUG all run under 288 hours, BCIT 4 of 5.
    assert (region["duration_compliance"].rank, region["duration_compliance"].value) == (4, pytest.approx(0.8))
    assert region["duration_compliance"].peer_median == 1.0

    jibc = card("JIBC", "sector")["ce_share"]
    assert (jibc.target, jibc.source, jibc.met, jibc.rank) == (0.5, "institute sector", True, 1)
    assert card("UBC", "sector")["ce_share"].target == 0.6  # provincial
    assert card("UBC", "sector")["ce_share"].rank == 1 and card("UBC", "sector")["ce_share"].ranked == 1


def test_peer_table_marks_small_and_missing(setup, cvocab):
    profile, insts = setup()
    table = cq.peer_table(profile, insts, "BCIT", ["JIBC", "NVIT"], cvocab).set_index("code")
    assert list(table.index) == ["BCIT", "JIBC", "NVIT"]
    bcit, jibc, nvit = table.loc["BCIT"], table.loc["JIBC"], table.loc["NVIT"]
    assert (bcit.offerings, bcit.enrolments, bcit.completions) == (5, 60, 40)
    assert (bcit.completion_rate, bcit.ce_share, bcit.credit_share, bcit.compliance) == pytest.approx(
        (0.6667, 0.6, 0.2, 0.8)
    )
    assert bcit.is_focus and bcit.note == "focus" and not bcit.small
    assert jibc.small and jibc.note == "n<5" and jibc.credit_share == 1.0
    assert nvit.offerings == 0 and nvit.note == "no offerings" and pd.isna(nvit.completion_rate)


def test_other_filters_narrow_and_peer_filters_are_replaced(setup, cvocab):
    profile, _ = setup("period=2024/25&type=technical_skill")
    assert dict(profile.totals.n_offerings) == {"BCIT": 2, "JIBC": 1, "UBC": 1}
    # A sector or institution filter would empty the peer group: the comparison ignores it.
    profile, _ = setup("period=2024/25&sector=college&institution=DOUG")
    assert set(profile.totals.index) == {"BCIT", "DOUG", "JIBC", "UBC"}


def test_trend_focus_against_peer_median(cdb, filters_of):
    counts = cq.trend_counts(cdb, filters_of("period=2024/25"))  # every period, whatever the period filter
    frame = cq.trend(counts, "BCIT", ["JIBC", "NVIT"], [P23, P24])
    offerings = frame[frame.measure == "offerings"].set_index("reporting_period")
    assert list(offerings.focus) == [1, 5]
    assert list(offerings.peer_median) == [1.5, 2]  # 2023/24: JIBC 2, NVIT 1; 2024/25: JIBC only
    assert list(offerings.peers_reporting) == [2, 1]
    rate = frame[frame.measure == "completion_rate"].set_index("reporting_period")
    assert rate.focus.tolist() == pytest.approx([0.5, 40 / 60])
    assert rate.peer_median.tolist() == pytest.approx([(0.7 + 0.5) / 2, 0.5])


def test_trend_with_no_offerings_matching_is_empty_not_an_error(cdb, filters_of):
    counts = cq.trend_counts(cdb, filters_of("period=2024/25")).iloc[0:0]
    frame = cq.trend(counts, "BCIT", ["JIBC"], [P23, P24])
    assert len(frame) == 2 * len(cq.TREND_MEASURES)
    assert frame.focus.isna().all() and frame.peer_median.isna().all()
    assert (frame.peers_reporting == 0).all()


def test_no_data_explanations(cdb):
    assert cq.reporting_statuses(cdb, "NVIT", [P24]) == {P24: "rejected"}
    assert (
        cq.no_data_message("Nicola Valley", [P24], {P24: "rejected"}, False)
        == "Nicola Valley has no accepted submission for 2024/25: its latest 2024/25 submission was rejected."
    )
    assert (
        cq.no_data_message("Camosun", [P24], cq.reporting_statuses(cdb, "CAM", [P24]), False)
        == "Camosun has no accepted submission for 2024/25: no 2024/25 submission was received."
    )
    assert cq.no_data_message("Douglas", [P24], {P24: "accepted"}, True) == (
        "Douglas has no offerings to compare for 2024/25: its 2024/25 submission has no offerings matching "
        "these filters."
    )


# --- figures ---------------------------------------------------------------------------------------------


def test_composition_figure_marks_small_groups_and_large_gaps(setup, cvocab):
    profile, insts = setup()
    comp = cq.composition(profile, "BCIT", ["JIBC", "NVIT"], cvocab)
    fig = compare_figures.composition_bar(
        comp[comp.dimension == "credit"],
        title="Credit status",
        names={"focus": "BCIT", "peers": "Peers", "province": "Province"},
    )
    go.Figure(fig)  # valid against Plotly's schema
    province, peers, focus = fig["data"]
    assert peers["name"] == "Peers (n<5)" and peers["marker"]["pattern"]["shape"] == "/"
    assert "pattern" not in focus["marker"] and focus["name"] == "BCIT"
    credit_text = dict(zip(focus["customdata"], focus["text"]))["credit"]
    assert credit_text == "<b>20.0% (-80 pts)</b>"
    assert max(fig["layout"]["xaxis"]["tickvals"]) <= 1.0
    empty = compare_figures.composition_bar(comp.iloc[0:0], title="x", names={})
    assert empty["data"] == [] and empty["layout"]["annotations"]


def test_trend_figure(cdb, filters_of):
    frame = cq.trend(cq.trend_counts(cdb, filters_of()), "BCIT", ["JIBC", "NVIT"], [P23, P24])
    fig = compare_figures.trend_lines(
        frame, measure="completion_rate", title="Completion rate", focus_name="BCIT", periods=[P23, P24], is_share=True
    )
    go.Figure(fig)
    names = {t["name"]: t["y"] for t in fig["data"]}
    assert names["BCIT"] == pytest.approx([0.5, 40 / 60]) and names["Peer median"] == pytest.approx([0.6, 0.5])


# --- export -----------------------------------------------------------------------------------------------


def test_safe_cell():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("Camosun College") == "Camosun College"
    assert (safe_cell(None), safe_cell(0.25), safe_cell(True), safe_cell(3)) == ("", "0.2500", "yes", "3")


# --- the page and its endpoint in the app ------------------------------------------------------------------


def make_app(db_path: Path):
    """An app that owns its page callbacks (see tests/dashboard/conftest.py make_app: Dash re-executes
    the pages for every app, and the first app to serve a request takes the page callbacks)."""
    from dashboard.app import create_app
    from dashboard.settings import DashboardSettings

    app = create_app(DashboardSettings(db_path=Path(db_path)))
    assert app.server.test_client().get("/_dash-dependencies").status_code == 200
    return app


def compare_page():
    import dash

    (module,) = [name for name, page in dash.page_registry.items() if page["path"] == "/compare"]
    return sys.modules[module]


@pytest.fixture(scope="module")
def app(cmp_db_path):
    return make_app(cmp_db_path)


def test_peers_csv_endpoint(app):
    client = app.server.test_client()
    response = client.get("/export/peers.csv?period=2024/25&focus=BCIT&peers=sector")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert "mcred_peers_BCIT_sector_2024-25.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["institution_code"] for r in rows] == ["BCIT", "JIBC", "NVIT"]
    assert (rows[0]["offerings"], rows[0]["completion_rate"], rows[0]["note"]) == ("5", "0.6667", "focus")
    assert rows[2]["note"] == "file rejected" and rows[2]["ce_share"] == ""  # as the page says
    custom = client.get("/export/peers.csv?period=2024/25&focus=UBC&peers=DOUG,JIBC")
    assert [r["institution_code"] for r in csv.DictReader(io.StringIO(custom.data.decode("utf-8-sig")))] == [
        "UBC",
        "DOUG",
        "JIBC",
    ]
    for bad, words in (
        ("focus=NOPE", "unknown focus"),
        ("focus=BCIT&type=nope", "unknown type"),
        ("peers=all", "focus is required"),
        ("focus=BCIT&peers=XX", "unknown peer"),
    ):
        response = client.get("/export/peers.csv?" + bad)
        assert response.status_code == 400 and words in response.data.decode(), bad


def test_build_compare(app, cdb, cvocab, filters_of):
    page = compare_page()
    with app.server.app_context():
        out = page.build_compare(cdb, filters_of("period=2024/25"), "BCIT", "sector", cvocab)
        assert out.heading == (
            "British Columbia Institute of Technology beside other institutions in the Institute sector"
        )
        assert out.subheading.startswith("2024/25: 5 offerings at BCIT; 2 peers (1 with offerings); province 12 ")
        assert [r["code"] for r in out.peer_rows] == ["BCIT", "JIBC", "NVIT"]
        assert out.peer_rows[2]["completion_rate"] is None  # JSON null, not NaN
        assert out.download_href == "/export/peers.csv?period=2024/25&focus=BCIT&peers=sector"
        assert out.body_style is None
        rows = {
            texts(tr.children[0])[0]: [texts(td) for td in tr.children] for tr in out.scorecard.children[1].children
        }
        # The kind under the metric and the status under the value are the phone's (d-md-none);
        # the kind and status columns the wider screens' (d-none d-md-table-cell).
        label, kind, value, target, status, median, rank = rows["Completion rate"]
        assert label[:2] == ["Completion rate", "Illustrative"] and kind == ["Illustrative"]
        assert (value, target, status, median, rank) == (
            ["66.7%", "Not met"],
            ["≥ 70%"],
            ["Not met"],
            ["50.0%"],
            ["1 of 2"],
        )
        assert "well below its peers" in " ".join(texts(out.standouts))
        assert " n<5" in texts(out.standouts)  # the peers rest on JIBC's 2 offerings

        prompt = page.build_compare(cdb, filters_of(), None, "sector", cvocab)
        assert prompt.body_style == {"display": "none"} and "Choose a focus institution " in texts(prompt.message)

        missing = page.build_compare(cdb, filters_of("period=2024/25"), "NVIT", "sector", cvocab)
        assert (
            "Nicola Valley Institute of Technology has no accepted submission for 2024/25: its latest 2024/25 "
            "submission was rejected."
        ) in texts(missing.message)
        assert [r["code"] for r in missing.peer_rows] == ["NVIT", "BCIT", "JIBC"]

        narrowed = page.build_compare(cdb, filters_of("period=2024/25&sector=college"), "BCIT", "DOUG", cvocab)
        assert "The sector filter does not apply here" in " ".join(texts(narrowed.message))

        lonely = page.build_compare(cdb, filters_of("period=2024/25"), "UBC", "sector", cvocab)  # SFU, UVIC, UNBC
        assert "None of the peers has offerings" in " ".join(texts(lonely.standouts))
        assert lonely.subheading.startswith("2024/25: 4 offerings at UBC; 3 peers (0 with offerings)")

        trend = page.build_trend(cdb, filters_of(), "BCIT", "sector", cvocab)
        assert len(trend.children) == 3


def test_callbacks_as_functions(app):
    page = compare_page()
    assert page.focus_from_row({"rowId": "JIBC", "colId": "name"}, "BCIT") == "JIBC"
    assert page.focus_from_row({"rowId": "BCIT"}, "BCIT") is page.dash.no_update
    with app.server.app_context():
        assert page.prefill_picks("custom", "BCIT", []) == ["JIBC", "NVIT"]
        assert page.prefill_picks("custom", "BCIT", ["UBC"]) is page.dash.no_update
        assert page.prefill_picks("region", "BCIT", []) is page.dash.no_update


def test_callback_through_dash_endpoint(app):
    """update_compare as the browser calls it: filters, focus and peers from the page."""
    import json

    filters = [{"id": {"type": "filter", "name": "period"}, "property": "value", "value": [P24]}]
    focus = [{"id": {"type": "urlparam", "name": "focus", "default": ""}, "property": "value", "value": "UBC"}]
    peers = [{"id": {"type": "urlparam", "name": "peers", "default": "sector"}, "property": "value", "value": "region"}]
    outputs = [
        "compare-heading.children",
        "compare-subheading.children",
        "compare-message.children",
        "compare-body.style",
        "compare-standouts.children",
        "compare-composition.children",
        "compare-scorecard.children",
        "compare-peers-grid.rowData",
        "compare-peers-grid-downloads.data",
        "compare-trend.children",
    ]
    body = {
        "output": ".." + "...".join(outputs) + "..",
        "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in outputs],
        "inputs": [filters, focus, peers],
        "changedPropIds": ["compare-heading.children"],
        "state": [],
    }
    response = app.server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:500]
    data = json.loads(response.data)["response"]
    assert data["compare-heading"]["children"].startswith(
        "The University of British Columbia beside other institutions in Mainland/Southwest"
    )
    rows = data["compare-peers-grid"]["rowData"]
    assert rows[0]["code"] == "UBC" and {"BCIT", "JIBC", "DOUG"} <= {r["code"] for r in rows}
    # the link's href without the grid's sort (the browser adds it: assets/grid_downloads.js)
    assert data["compare-peers-grid-downloads"]["data"] == ["/export/peers.csv?period=2024/25&focus=UBC&peers=region"]
    # the trend comes in the same response: one graph per measure, each with the focus's line
    trend = json.dumps(data["compare-trend"]["children"])
    assert "compare-trend-" in trend and "UBC" in trend


# --- in a browser ----------------------------------------------------------------------------------------------


def wait_until_still(driver, element=None, timeout: float = 15) -> None:
    """Until the page height (or the element's place on screen) has not changed for a second:
    the charts are drawn at their size and the grid has settled, so a click lands where aimed."""
    script = (
        "const r = arguments[0] && arguments[0].getBoundingClientRect();"
        "return [document.documentElement.scrollHeight, r ? r.top : 0, r ? r.left : 0];"
    )
    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        now = driver.execute_script(script, element)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > 1.0:
            return
        time.sleep(0.05)
    raise AssertionError("the page kept moving")


@pytest.mark.browser
def test_bookmarked_comparison_and_switching_focus_by_row(dash_duo, cmp_db_path):
    app = make_app(cmp_db_path)
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/compare?period=2024/25&focus=BCIT&peers=region")
    dash_duo.wait_for_text_to_equal(
        "#compare-heading",
        "British Columbia Institute of Technology beside other institutions in Mainland/Southwest",
        timeout=20,
    )
    dash_duo.wait_for_element("#compare-scorecard-table", timeout=10)
    for graph in ("compare-chart-field", "compare-trend-completion_rate"):  # the page above the grid is drawn
        dash_duo.wait_for_element(f"#{graph} .main-svg", timeout=15)
    wait_until_still(dash_duo.driver)
    cell = dash_duo.wait_for_element('#compare-peers-grid .ag-row[row-id="JIBC"] [col-id="name"]', timeout=10)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    wait_until_still(dash_duo.driver, cell)
    cell.click()
    dash_duo.wait_for_text_to_equal(
        "#compare-heading",
        "Justice Institute of British Columbia beside other institutions in Mainland/Southwest",
        timeout=15,
    )
    dash_duo.wait_for_contains_text("#compare-subheading", "2 offerings at JIBC", timeout=10)
    url = dash_duo.driver.current_url
    assert "focus=JIBC" in url and "peers=region" in url and "period=2024/25" in url
    # Back returns to the bookmarked focus in one step: the click set the focus and then the
    # institution filter to it, one gesture and so one history entry (assets/mcred.js).
    dash_duo.driver.back()
    dash_duo.wait_for_text_to_equal(
        "#compare-heading",
        "British Columbia Institute of Technology beside other institutions in Mainland/Southwest",
        timeout=15,
    )
    # A peer with no accepted submission gets an explanation, not empty axes.
    dash_duo.driver.get(dash_duo.server_url + "/compare?period=2024/25&focus=NVIT")
    dash_duo.wait_for_contains_text("#compare-no-data", "its latest 2024/25 submission was rejected", timeout=15)
    assert dash_duo.get_logs() == []


def test_arriving_with_one_institution_in_the_filters_makes_it_the_focus(app):
    page = compare_page()

    def focus_of(**query):
        with app.server.test_request_context("/compare"):
            layout = page.layout(**query)
        (dropdown,) = find_all(layout, lambda c: getattr(c, "id", None) == page.FOCUS_ID)
        return dropdown.value

    assert focus_of(institution="BCIT") == "BCIT"
    assert focus_of(institution="bcit", period="2024/25") == "BCIT"
    assert focus_of(institution="BCIT,UBC") is None  # two: the user chooses
    assert focus_of() is None
    assert focus_of(institution="BCIT", focus="UBC") == "UBC"  # an explicit focus wins
