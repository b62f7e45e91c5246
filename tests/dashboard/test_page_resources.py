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
