"""The page a visit opens comes in the app's first layout (dashboard.first_page): for a Referer
of this host naming a page the viewer may open, ``/_dash-layout`` holds that page and the page
Location's address, so the page router is not called on a visit; otherwise the layout is Dash's
empty container, and the router draws (or refuses) the page as before. Each door crafted."""

from __future__ import annotations

import pytest
from access_helpers import callback_body, find_callback
from dash.testing.wait import until

HOST = "http://localhost"
ROUTER = "_pages_content.children"


def _find(node, component_id):
    """The component with ``component_id`` in a layout's JSON (None: not there)."""
    if isinstance(node, list):
        return next((found for n in node if (found := _find(n, component_id)) is not None), None)
    if not isinstance(node, dict):
        return None
    props = node.get("props", {})
    if props.get("id") == component_id:
        return node
    return next((found for v in props.values() if (found := _find(v, component_id)) is not None), None)


def _first_layout(client, referrer: str | None):
    response = client.get("/_dash-layout", headers={"Referer": referrer} if referrer else {})
    assert response.status_code == 200
    layout = response.get_json()
    content = _find(layout, "_pages_content")["props"].get("children")
    location = _find(layout, "_pages_location")["props"]
    return content, location, _find(layout, "_pages_store")["props"].get("data")


@pytest.fixture
def site(public_site):
    return public_site


def test_the_opened_page_and_its_address_come_in_the_first_layout(site):
    client, _, _ = site
    content, location, store = _first_layout(client("ana@gov.bc.ca"), f"{HOST}/compare?focus=UBC&period=2024/25")
    assert _find(content, "compare-heading") is not None
    assert (location["pathname"], location["search"], location["hash"]) == ("/compare", "?focus=UBC&period=2024/25", "")
    assert store == {"title": "Compare | B.C. Micro-credentials"}
    content, location, _ = _first_layout(client("ana@gov.bc.ca"), f"{HOST}/")
    assert _find(content, "kpi-offerings") is not None and location["pathname"] == "/"


@pytest.mark.parametrize(
    "referrer",
    [None, "http://elsewhere.example/compare", f"{HOST}/no-such-page", "not a url"],
    ids=["none", "another-origin", "no-page", "garbage"],
)
def test_without_a_page_of_this_host_the_router_draws_it(site, referrer):
    client, _, _ = site
    content, location, store = _first_layout(client("ana@gov.bc.ca"), referrer)
    assert content is None and "pathname" not in location and store is None


@pytest.mark.parametrize(
    "referrer",
    [
        HOST,
        f"{HOST}?x=1",
        "javascript://localhost/compare?x=%0aalert(1)",
        "http://u:p@localhost/compare",
        "http://localhost:80/compare",
        "http://LOCALHOST/compare",
    ],
    ids=["no-path", "no-path-query", "javascript", "credentials", "port", "host-case"],
)
def test_an_odd_referer_gets_the_empty_container_not_an_error(site, referrer):
    client, _, _ = site
    content, location, _ = _first_layout(client("ana@gov.bc.ca"), referrer)
    assert content is None and "pathname" not in location


def test_the_first_layout_is_never_cached(site):
    client, _, _ = site
    response = client("ana@gov.bc.ca").get("/_dash-layout", headers={"Referer": f"{HOST}/"})
    assert response.headers["Cache-Control"] == "no-store"
    assert set(response.headers["Vary"].replace(" ", "").split(",")) >= {"Referer", "Cookie"}


def test_a_layout_that_fails_leaves_the_page_to_the_router(site, monkeypatch):
    import dash

    client, _, _ = site
    (name,) = [n for n, page in dash.page_registry.items() if page["path"] == "/compare"]

    def broken(**_query):
        raise RuntimeError("a bug in the page")

    monkeypatch.setitem(dash.page_registry[name], "layout", broken)
    content, location, _ = _first_layout(client("ana@gov.bc.ca"), f"{HOST}/compare")
    assert content is None and "pathname" not in location


@pytest.mark.parametrize(
    ("who", "path"),
    [
        (None, "/explore"),
        (None, "/admin"),
        ("lee@bcit.ca", "/admin"),
        (None, "/submit"),
        (None, "//explore"),
        (None, "///explore/"),
        ("lee@bcit.ca", "//admin"),
        ("lee@bcit.ca", "/ADMIN"),
        ("lee@bcit.ca", "/%61dmin"),
        ("lee@bcit.ca", "/compare/../admin"),
    ],
    ids=[
        "public-explore",
        "public-admin",
        "institution-admin",
        "public-submit",
        "public-explore-slashes",
        "public-explore-slashes-after",
        "institution-admin-slashes",
        "institution-admin-case",
        "institution-admin-encoded",
        "institution-admin-dots",
    ],
)
def test_a_page_the_viewer_may_not_open_is_not_drawn_for_a_crafted_referer(site, who, path):
    client, _, _ = site
    c = client(who)
    content, location, _ = _first_layout(c, f"{HOST}{path}")
    assert content is None and "pathname" not in location
    if path in ("/explore", "/admin"):  # the gate refuses the visit itself
        assert c.get(path).status_code == 403


@pytest.mark.parametrize("who", ["ana@gov.bc.ca", "lee@bcit.ca", None], ids=["ministry", "institution", "public"])
@pytest.mark.parametrize("page", ["/?institution=UBC&period=2024/25", "/compare?focus=UBC", "/submissions"])
def test_the_first_layout_holds_the_page_the_router_draws_for_the_same_viewer(site, who, page):
    client, _, _ = site
    c = client(who)
    path, _, query = page.partition("?")
    content, _, _ = _first_layout(c, f"{HOST}{page}")
    search = f"?{query}" if query else ""
    body = callback_body(find_callback(c, ROUTER), {"_pages_location.pathname": path, "_pages_location.search": search})
    routed = c.post("/_dash-update-component", json=body)
    assert routed.status_code == 200
    assert content is not None and content == routed.get_json()["response"]["_pages_content"]["children"]


@pytest.mark.browser
def test_a_visit_does_not_call_the_page_router_and_a_link_does(dash_duo, app_factory, db_path):
    import io
    import json

    app = app_factory(db_path)
    routed = []
    inner = app.server.wsgi_app

    def count_router_calls(environ, start_response):  # the app has served: no before_request now
        if environ.get("PATH_INFO") == "/_dash-update-component":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            request = json.loads(body)
            if ROUTER in request.get("output", ""):
                routed.append(request["inputs"][0]["value"])
        return inner(environ, start_response)

    app.server.wsgi_app = count_router_calls
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?period=2024/25")
    dash_duo.wait_for_text_to_equal("#kpi-offerings-title", "Offerings")
    until(lambda: dash_duo.driver.title.startswith("Overview"), 10)
    assert routed == []
    link = dash_duo.find_element("#targets-table a")
    dash_duo.driver.execute_script("arguments[0].click()", link)
    dash_duo.wait_for_element("#compare-heading")
    until(lambda: routed == ["/compare"], 10, msg=f"the router was called for {routed}")
    until(lambda: dash_duo.driver.title.startswith("Compare"), 10)  # "Updating..." while Dash works
    dash_duo.driver.back()
    dash_duo.wait_for_element("#kpi-offerings")
    until(lambda: routed == ["/compare", "/"], 10, msg=f"the router was called for {routed}")
    assert dash_duo.get_logs() == []


@pytest.mark.browser
def test_a_referer_trimmed_to_the_origin_still_shows_the_page_of_the_address(dash_duo, app_factory, db_path):
    # As a browser that trims every Referer to the origin: the first layout draws the overview
    # while the address is /compare; assets/mcred.js then has the router draw /compare.
    app = app_factory(db_path)
    inner = app.server.wsgi_app

    def trim_referer(environ, start_response):
        if "HTTP_REFERER" in environ:
            environ["HTTP_REFERER"] = "/".join(environ["HTTP_REFERER"].split("/")[:3]) + "/"  # scheme://host/
        return inner(environ, start_response)

    app.server.wsgi_app = trim_referer
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/compare?focus=BCIT")
    dash_duo.wait_for_element("#compare-heading")
    until(lambda: "British Columbia Institute of Technology" in dash_duo.find_element("#compare-heading").text, 15)
    assert not dash_duo.driver.find_elements("id", "kpi-offerings")
    assert dash_duo.get_logs() == []
