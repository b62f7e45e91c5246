"""The page a visit opens, drawn into the app's first layout.

With Dash's pages a visit takes two requests before anything shows: ``/_dash-layout`` brings
the shell with an empty page container, then the container's dcc.Location, mounting without a
pathname, sets one and so calls the page router for the page's layout. Here the first answer
holds the layout of the page being opened (the browser names it as the Referer of
``/_dash-layout``: same-origin, and our Referrer-Policy keeps the query) and the Location's
pathname, search and hash are set already, so the Location sets nothing as it mounts and the
router is not called until a link is followed. One round trip less on every visit: a median
40-50 ms of the overview's first render at a million offerings on loopback, a whole network
round trip more for anyone further away.

The page is drawn only where the router would draw it for this viewer: an http(s) Referer of
this host, naming a page the gate lets the viewer open (access.web.refused_page, asked of the
page the path matched) and whose layout does not refuse them (OutOfScope). Otherwise, or if its
layout fails, the container is Dash's own and the router draws the page exactly as before (and
answers a refusal as before). The answer is never cached (no_store). Should the drawn page not
be the address the browser shows (a browser that trims Referers to the origin),
assets/mcred.js has the router draw the one it shows.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import dash
import flask
from dash import dcc, html
from dash._pages import _parse_query_string, _path_to_page  # the router's own: the same page, the same query

from dashboard.access import web as access_web
from dashboard.access.actor import OutOfScope

log = logging.getLogger(__name__)


def no_store(response: flask.Response) -> flask.Response:
    """``/_dash-layout`` holds a page of this viewer's, chosen by the Referer: never cached."""
    if flask.request.path.endswith("/_dash-layout"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Vary"] = "Referer, Cookie"
    return response


def page_container() -> Any:
    """Dash's page container, holding the page the browser is opening when that can be drawn here."""
    drawn = _opened_page()
    return dash.page_container if drawn is None else drawn


def _opened_page() -> html.Div | None:
    if not flask.has_request_context() or not flask.request.path.endswith("/_dash-layout"):
        return None
    referrer = flask.request.referrer
    if not referrer:
        return None
    url = urlsplit(referrer)
    if url.scheme not in ("http", "https") or url.netloc != flask.request.host or not url.path:
        return None
    app = dash.get_app()
    try:
        page, variables = _path_to_page(app.strip_relative_path(url.path))
    except Exception:  # a path outside the app's prefix: Dash's router says what it says of it
        return None
    actor = access_web.request_actor()
    # The gate's rule, for the page the path matched (its path as registered: "//explore" and
    # "/explore/" match /explore, which the gate refuses the public).
    if not page or actor is None or access_web.refused_page(actor, page["path"]) is not None:
        return None
    search = f"?{url.query}" if url.query else ""
    try:
        layout = page["layout"]
        content = layout(**{**(variables or {}), **_parse_query_string(search)}) if callable(layout) else layout
        title = page["title"](**(variables or {})) if callable(page["title"]) else page["title"]
    except OutOfScope:
        return None
    except Exception:  # the router runs the same layout again and answers as it always did
        log.exception("the layout of %s failed; the page router draws it instead", url.path)
        return None
    location, _content, store, dummy = dash.page_container.children
    return html.Div(
        [
            dcc.Location(
                id=location.id, refresh=location.refresh, pathname=url.path, search=search, hash="", href=referrer
            ),
            # assets/mcred.js: if this is not the address the browser shows (a browser that
            # trimmed the Referer), the page router draws the one it shows.
            html.Div(content, id=_content.id, disable_n_clicks=True, **{"data-first-page": url.path + search}),
            dcc.Store(id=store.id, data={"title": title}),
            html.Div(id=dummy.id, disable_n_clicks=True),
        ]
    )
