"""dashboard.views.markup: the HTML of a view drawn as one component is safe whatever its text."""

from __future__ import annotations

import pytest
from layout_tree import elements, parse_html, texts

from dashboard.views.markup import Markup, element, html_view, text

HOSTILE = "<script>alert(1)</script> {window.x = 1} \"quoted\" 'single' & more\n\nafter a blank line"


def test_text_and_attributes_are_escaped():
    markup = element("div", HOSTILE, title=HOSTILE, data_cell=HOSTILE)
    assert "<script" not in markup and "{" not in markup and "}" not in markup
    assert "\n" not in markup  # a blank line would end the HTML block of the Markdown
    [div] = parse_html(markup)
    assert div.tag == "div" and div.children == [HOSTILE]  # the words come back as they were
    assert div.title == HOSTILE and div.attrs["data-cell"] == HOSTILE


def test_markup_nests_but_a_plain_string_is_text():
    inner = element("span", "a & b", class_="x")
    assert isinstance(inner, Markup)
    outer = element("p", [inner, "<b>not bold</b>"])
    [p] = parse_html(outer)
    assert [c.tag for c in p.children if not isinstance(c, str)] == ["span"]
    assert texts(p) == ["a & b", "<b>not bold</b>"]
    assert text("<i>") == "&lt;i&gt;"


def test_attribute_names_values_and_style():
    markup = element(
        "button", "go", type="button", class_="a b", style={"backgroundColor": "#fff", "color": "red"}, hidden=True
    )
    [b] = parse_html(markup)
    assert b.className == "a b" and b.style == {"backgroundColor": "#fff", "color": "red"}
    assert "hidden" in b.attrs and b.attrs["type"] == "button"
    assert element("td", "x", title=None, hidden=False) == "<td>x</td>"


@pytest.mark.parametrize(
    "attrs", [{"onclick": "alert(1)"}, {"onmouseover": "x"}, {"Onclick": "x"}, {"data x": "y"}, {"a=b": "c"}]
)
def test_event_handlers_and_odd_names_are_refused(attrs):
    with pytest.raises(ValueError):
        element("div", "x", **attrs)


@pytest.mark.parametrize("tag", ["script x", "div><script", "", "1a"])
def test_odd_element_names_are_refused(tag):
    with pytest.raises(ValueError):
        element(tag)


def test_the_view_takes_markup_only():
    with pytest.raises(TypeError):
        html_view("<b>raw</b>")
    view = html_view(element("table", element("tr", element("td", HOSTILE))), className="host")
    assert view.dangerously_allow_html and view.className == "host"
    assert [texts(td) for td in elements(view, "td")] == [[HOSTILE]]


@pytest.mark.browser
def test_in_the_browser_hostile_text_stays_text(dash_duo):
    """dcc.Markdown reads raw HTML with a JSX parser: entities must come out as the characters,
    braces must not run, and a script element must not be made."""
    from dash import Dash, _callback, html

    # the pages' callbacks that other tests' apps left in Dash's process-wide lists would be
    # taken by this app's first request (see tests/dashboard/conftest.py make_app)
    for leftovers in (_callback.GLOBAL_CALLBACK_LIST, _callback.GLOBAL_CALLBACK_MAP, _callback.GLOBAL_INLINE_SCRIPTS):
        leftovers.clear()
    app = Dash(__name__)
    app.layout = html.Div(
        html_view(element("div", [element("span", HOSTILE, id="hostile", title=HOSTILE)], class_="host"))
    )
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#hostile")
    # read in the page, in one go (dcc.Markdown loads its parser lazily and may draw again)
    shown, title, clean = dash_duo.driver.execute_script(
        "const s = document.getElementById('hostile');"
        "return [s.textContent, s.getAttribute('title'), window.x === undefined && !document.querySelector('.host script')];"
    )
    assert shown == HOSTILE and title == HOSTILE and clean
