"""What a page view costs the browser beyond the page: our own assets are cached for as long as
their URL (Dash writes ``?m=<modification time>``) names one version, and the two chunks Dash
loads lazily are asked for with the page."""

from __future__ import annotations

import re

import pytest

from dashboard.views.index import LAZY_CHUNKS


@pytest.fixture
def app(app_factory, db_path):
    return app_factory(db_path)


def test_fingerprinted_assets_are_cached_for_a_year_others_are_not(app):
    client = app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+\?m=[^"]+)"', page)
    assert len(assets) >= 10, assets  # our styles and scripts, the vendored theme and Plotly
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.cache_control.max_age == 31_536_000 and response.cache_control.immutable, (
            url,
            response.headers.get("Cache-Control"),
        )
    # without the fingerprint the URL names no version: the browser asks again
    plain = client.get(assets[0].split("?")[0])
    assert plain.status_code == 200 and plain.cache_control.max_age is None
    # a missing file is not cached either
    assert client.get("/assets/no-such-file.css?m=1").status_code == 404


def test_the_page_preloads_the_chunks_dash_loads_lazily_and_they_are_served(app):
    client = app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    for chunk in LAZY_CHUNKS:
        url = f"/_dash-component-suites/{chunk}"
        assert f'<link rel="preload" as="script" href="{url}">' in page
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype.endswith("javascript"), chunk


def test_the_natives_script_comes_before_dash_s_polyfill_and_only_there(app):
    page = app.server.test_client().get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    natives = [n for n, src in enumerate(scripts) if "/assets/early/natives.js?m=" in src]
    polyfill = [n for n, src in enumerate(scripts) if "polyfill" in src]
    assert len(natives) == 1 and polyfill and natives[0] < polyfill[0], scripts


# Whether each function is the browser's own, asked of a fresh frame's Function.prototype.toString
# (core-js patches the page's to make its replacements look native).
NATIVE = """
const frame = document.createElement('iframe');
document.body.appendChild(frame);
const source = frame.contentWindow.Function.prototype.toString;
const own = f => /\\[native code\\]/.test(source.call(f));
const out = {parseFloat: own(parseFloat), parseInt: own(parseInt), numberParseFloat: own(Number.parseFloat),
             trim: own(String.prototype.trim), trimStart: own(String.prototype.trimStart),
             trimEnd: own(String.prototype.trimEnd), regeneratorRuntime: typeof regeneratorRuntime === 'object'};
frame.remove();
return out;
"""


@pytest.mark.browser
def test_the_page_keeps_the_browser_s_parse_float_and_trim(dash_duo, app):
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#kpi-offerings")
    kept = dash_duo.driver.execute_script(NATIVE)
    # regeneratorRuntime: the polyfill still ran (Dash's renderer needs it)
    assert kept == dict.fromkeys(kept, True), kept
    assert dash_duo.driver.execute_script("return [parseFloat('\\u180e1'), ' a\\u00a0'.trim()]") == [None, "a"]
    assert dash_duo.get_logs() == []
