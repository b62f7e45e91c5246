"""Charts are drawn once: each builder sizes its margins from the labels it draws, so Plotly's
axis automargin (kept as a safety net) finds nothing to add and does not draw the chart a
second time. Checked in headless Chromium at the desktop size on the fixture warehouse, where
a chart whose rendered margins exceed the ones it was given was drawn twice. (/compare's
charts turn margin expansion off, for their legends: there only the tick-label check below
can fail.) Every axis lets
its tick labels be (theme.base_layout: Plotly would measure them all again after placing
each), so every tick label must lie inside its chart."""

from __future__ import annotations

import time

import pytest
from dash.testing.wait import until

from dashboard import theme

TIMEOUT = 20
CHARTS_DRAWN = ".js-plotly-plot .bars, .js-plotly-plot .scatterlayer .trace"

MARGINS = """
return [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout).map(g => [
    g.parentElement.id || g.id,
    ['l', 'r', 't', 'b'].filter(k => Math.round(g._fullLayout._size[k]) > g._fullLayout.margin[k])
]);
"""

# Per chart: axes whose tick labels Plotly would hide past the chart's edge (anything but
# "allow"), and the tick labels that reach past it.
OVERFLOW = """
return [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout).map(g => {
    const box = g.querySelector('.main-svg').getBoundingClientRect();
    const axes = Object.keys(g._fullLayout).filter(k => /^[xy]axis\\d*$/.test(k))
        .filter(k => g._fullLayout[k].ticklabeloverflow !== 'allow');
    const outside = [...g.querySelectorAll('.xtick text, .ytick text')].filter(t => {
        const r = t.getBoundingClientRect();
        return r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5
            || r.bottom > box.bottom + 0.5);
    }).map(t => t.textContent);
    return [g.parentElement.id || g.id, axes, outside];
});
"""


LOADING = "return !!document.querySelector('[data-dash-is-loading=\"true\"]')"


def open_page(dash_duo, app, path: str, size: tuple[int, int], drawn: str | None = None) -> None:
    """``path`` of ``app`` in Chromium at ``size``, once an element ``drawn`` is there."""
    dash_duo.start_server(app)
    dash_duo.driver.set_window_size(*size)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}")
    if drawn:
        dash_duo.wait_for_element(drawn, timeout=TIMEOUT)


def loading(dash_duo) -> bool:
    return dash_duo.driver.execute_script(LOADING)


def test_text_width_takes_the_widest_line_without_tags():
    one = theme.text_width("Indigenous community")
    assert theme.text_width("Indigenous<br>community") < one
    assert theme.text_width("<b>Indigenous community</b>") == pytest.approx(one)
    assert theme.text_width("WWW") > theme.text_width("iii")
    assert theme.text_width("Éé") > 0  # characters outside the table get a wide letter's width
    assert theme.label_room([]) == 14 and theme.label_room(["100%"]) > theme.label_room(["0%"])


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/", "/?measure=enrolments&period=all", "/compare?focus=BCIT"])
def test_no_chart_needs_a_second_drawing_for_its_labels(dash_duo, app_factory, db_path, path):
    open_page(dash_duo, app_factory(db_path), path, (1366, 768), CHARTS_DRAWN)

    def drawn():
        charts = dash_duo.driver.execute_script(MARGINS)
        return charts if len(charts) >= 3 and not loading(dash_duo) else None

    until(drawn, TIMEOUT, msg=f"{path}: the charts were not drawn")
    pushed = {chart: sides for chart, sides in drawn() if sides}
    assert not pushed, f"{path}: automargin widened these charts' margins (so drew them twice): {pushed}"
    overflow = dash_duo.driver.execute_script(OVERFLOW)
    assert len(overflow) >= 3
    assert not [(chart, axes) for chart, axes, _ in overflow if axes], f"{path}: axes that hide labels: {overflow}"
    assert not [(chart, out) for chart, _, out in overflow if out], f"{path}: tick labels past the chart: {overflow}"


# Plotly makes a chart's _fullLayout anew on every drawing (keeping only its "_" keys): a mark
# left on it says whether the chart has been drawn again since.
MARK_LAYOUTS = """
const gds = [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout);
gds.forEach(g => { g._fullLayout.mcredMark = true; });
return gds.length;
"""
REDRAWN = """
return [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout && !g._fullLayout.mcredMark)
    .map(g => g.parentElement.id || g.id);
"""


@pytest.mark.browser
def test_a_chart_is_drawn_once_and_again_only_when_its_box_changes(dash_duo, app_factory, db_path):
    """assets/plotly_resize.js: dcc.Graph resizes every chart just after its first drawing,
    and Plotly then drew it a second time at the same size, 100 ms later; a chart whose box
    has changed is still drawn again to fit."""
    open_page(dash_duo, app_factory(db_path), "/", (1366, 768))
    until(lambda: dash_duo.driver.execute_script(MARK_LAYOUTS) == 7, TIMEOUT, msg="the overview drew no 7 charts")
    time.sleep(0.6)  # past Plotly's 100 ms resize debounce: a second drawing would have come
    assert dash_duo.driver.execute_script(REDRAWN) == []
    # a box that did change: the resize goes through and the chart is drawn to its new width
    dash_duo.driver.execute_script(
        "const gd = document.querySelector('#chart-type .js-plotly-plot');"
        "gd.parentElement.style.width = '300px'; Plotly.Plots.resize(gd);"
    )
    until(
        lambda: dash_duo.driver.execute_script(REDRAWN) == ["chart-type"],
        TIMEOUT,
        msg="the narrowed chart was not redrawn",
    )
    width = dash_duo.driver.execute_script(
        "return document.querySelector('#chart-type .js-plotly-plot')._fullLayout.width"
    )
    assert round(width) == 300


# Per chart at a phone's width: what reaches past the chart's edges (bar value labels, the
# title, legend entries, axis titles), whether a legend above the plot meets the title or the
# plot, and tick labels that touch their neighbours.
CUT = """
return [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout).map(g => {
    const box = g.querySelector('.main-svg').getBoundingClientRect();
    const past = el => { const r = el.getBoundingClientRect(); return r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5); };
    const cut = sel => [...g.querySelectorAll(sel)].filter(past).map(t => t.textContent);
    const legend = g._fullLayout.legend, top = box.top + g._fullLayout._size.t;
    const entries = [...g.querySelectorAll('.legend .traces')].map(e => e.getBoundingClientRect());
    const titles = [...g.querySelectorAll('.gtitle')].map(t => t.getBoundingClientRect());
    const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const above = !!(legend && legend.orientation === 'h' && legend.y >= 1);
    const clash = above && entries.some(e => e.bottom > top + 1 || titles.some(t => meets(e, t)));
    const ticks = [...g.querySelectorAll('.xtick text')].map(t => t.getBoundingClientRect()).filter(r => r.width)
        .sort((a, b) => a.left - b.left);
    const touching = ticks.some((r, i) => i > 0 && r.left < ticks[i - 1].right);
    return [g.parentElement.id || g.id, cut('.bartext'), cut('.gtitle'),
            cut('.legend .traces, .xtitle, .ytitle'), clash, touching];
});
"""


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/", "/?measure=enrolments&period=all", "/compare?focus=BCIT"])
def test_on_a_phone_no_bar_label_or_title_is_cut(dash_duo, app_factory, db_path, path):
    """At 390 px the longest bars' "n (share)" labels ran past the chart's right edge and the
    longest title past its edge: the titles wrap (theme.chart_title) and assets/bar_labels.js
    widens a bar chart's range until its labels fit, and thins /compare's named ticks where
    they touch. /compare's legends above the plot wrapped onto three rows into the title, or
    ran past the edge: assets/legend_row.js starts them at the chart's left edge."""
    open_page(dash_duo, app_factory(db_path), path, (390, 844), ".js-plotly-plot .bars")

    def faults(charts):
        return [c for c in charts if any(c[1:])]

    def settled():
        charts = dash_duo.driver.execute_script(CUT)
        return charts if len(charts) >= 6 and not loading(dash_duo) and not faults(charts) else None

    try:
        until(settled, TIMEOUT)
    except Exception:  # noqa: BLE001 - say what was cut
        cut = faults(dash_duo.driver.execute_script(CUT))
        raise AssertionError(
            f"{path} at 390 px (chart, labels, titles, legend/axis titles, legend clash, ticks): {cut}"
        ) from None
    labels = dash_duo.driver.execute_script("return document.querySelectorAll('.js-plotly-plot .bartext').length")
    assert labels >= 20  # the labels were there to be measured


def test_long_titles_wrap_before_their_last_part():
    long = "Continuing-education share of offerings, by sector"
    assert theme.chart_title(long) == "Continuing-education share of offerings,<br>by sector"
    # when the part before the comma is too wide itself, the last words that fit
    longer = theme.chart_title("Continuing-education share of completions, by sector")
    assert longer == "Continuing-education share of<br>completions, by sector"
    assert theme.chart_title("Offerings by delivery mode") == "Offerings by delivery mode"
    layout = theme.base_layout(long, 320)
    assert layout["margin"]["t"] == 48 + theme.TITLE_LINE and layout["height"] == 320 + theme.TITLE_LINE
    assert theme.text_width(theme.chart_title("word " * 20).split("<br>")[0], theme.TITLE_SIZE) <= 320


# Per chart: its drawn height against its box's (dcc.Graph's style height, from the figure).
HEIGHTS = """
return [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout).map(g => [
    g.parentElement.id || g.id, Math.round(g._fullLayout.height),
    Math.round((g.closest('.dash-graph') || g.parentElement).getBoundingClientRect().height)]);
"""


@pytest.mark.browser
def test_a_phone_turned_keeps_every_compare_chart_its_height(dash_duo, app_factory, db_path):
    """The legend fitter once grew a chart on a phone; dcc.Graph put the figure's height back
    on its next drawing while the box stayed grown, and after turning the phone each plot was
    38 px short above a blank strip. The room for a legend's second row is now the figure's
    (figures/compare.py legend_room): every chart's drawn height is its box's, before and after."""
    open_page(dash_duo, app_factory(db_path), "/compare?focus=BCIT", (390, 844), ".js-plotly-plot .bars")

    def matched():
        charts = dash_duo.driver.execute_script(HEIGHTS)
        bad = [c for c in charts if abs(c[1] - c[2]) > 1]
        return charts if len(charts) >= 6 and not loading(dash_duo) and not bad else None

    until(matched, TIMEOUT, msg="a chart's height is not its box's at 390 px")
    time.sleep(0.6)  # the fitters' redrawings done
    dash_duo.driver.set_window_size(1366, 768)
    time.sleep(1.5)  # past the resize's drawing (a check before it would find the old heights)
    try:
        until(matched, TIMEOUT)
    except Exception:  # noqa: BLE001 - say which
        raise AssertionError(f"after turning: {dash_duo.driver.execute_script(HEIGHTS)}") from None


def test_a_legend_of_long_names_gets_a_second_row_above_the_plot():
    from dashboard.figures import compare as figures

    short, long = theme.base_layout("Credit status", 200), theme.base_layout("Credit status", 200)
    assert figures.legend_room(["BCIT", "Peers", "Province"], short) == figures.LEGEND_ROOM
    assert short["height"] == 200 and "yref" not in short["title"]
    names = ["BCIT (n<5)", "Peers (no offerings)", "Province"]
    assert figures.legend_room(names, long) == 2 * figures.LEGEND_ROOM
    assert long["height"] == 200 + figures.LEGEND_ROOM  # the plot keeps its height
    assert long["title"]["yref"] == "container" and long["title"]["yanchor"] == "top"
