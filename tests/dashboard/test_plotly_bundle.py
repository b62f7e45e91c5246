"""The dashboard draws its charts with the vendored plotly.js "basic" bundle
(dashboard/assets/vendor/README.md): the same plotly.js version as the Python package, served on
every page before Dash's renderer, so dcc.Graph never fetches the full 4.8 MB bundle."""

from __future__ import annotations

import re

from plotly.offline import get_plotlyjs_version

from dashboard.app import ASSETS
from tests.dashboard.conftest import make_app

BUNDLE = ASSETS / "vendor" / f"plotly-basic-{get_plotlyjs_version()}.min.js"


def test_the_vendored_bundle_is_the_installed_plotly_version():
    bundles = sorted(p.name for p in (ASSETS / "vendor").glob("plotly-basic-*.min.js"))
    assert bundles == [BUNDLE.name], "replace the bundle with the plotly.js version of the plotly package"
    header = BUNDLE.read_text(encoding="utf-8")[:200]
    assert re.search(r"plotly\.js \(basic - minified\) v" + re.escape(get_plotlyjs_version()), header)


def test_every_page_loads_the_bundle_before_the_renderer_starts(db_path):
    client = make_app(db_path).server.test_client()
    page = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    bundle = next(i for i, s in enumerate(scripts) if f"/assets/vendor/{BUNDLE.name}" in s)
    assert "new DashRenderer" in page.split(scripts[-1])[-1]  # the app starts after every script has run
    served = client.get(scripts[bundle])
    assert served.status_code == 200 and served.data.startswith(b"/**\n* plotly.js (basic")
    assert "package_data/plotly.min.js" not in " ".join(scripts)  # the full bundle is not loaded up front
