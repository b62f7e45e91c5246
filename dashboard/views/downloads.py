"""Download links that follow the page's filters: ``download_link(path, label)`` gives a plain
link to an export endpoint (dashboard/exports/); one app-wide callback (registered by
create_app) rewrites every such link's query whenever a filter or URL-state control
(measure, split, search...) changes."""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, html

from dashboard import context
from dashboard.data import overview as queries
from dashboard.data.filters import Filters
from dashboard.views.filters import values_from_inputs


def download_id(path: str) -> dict:
    return {"type": "download-link", "path": path}


def href(path: str, filters: Filters, extra: dict[str, str] | None = None) -> str:
    return path + filters.to_search(extra)


def chart_download(chart_id: str) -> html.Div:
    """The small "Download CSV" link under an overview chart (its data: /export/chart/<id>.csv)."""
    return html.Div(download_link(f"/export/chart/{chart_id}.csv", "Download CSV", Filters(),
                                  className="small chart-download", title="This chart's data as CSV"),
                    className="text-end")


def download_link(path: str, label: str, filters: Filters, extra: dict[str, str] | None = None,
                  className: str = "btn btn-outline-primary btn-sm", title: str | None = None) -> html.A:
    """A link to ``path`` with the current filters; the browser saves the response (Content-Disposition)."""
    return html.A(label, id=download_id(path), href=href(path, filters, extra), className=className,
                  download="", title=title, rel="nofollow")


def register_callbacks(app: dash.Dash) -> None:
    app.callback(
        Output({"type": "download-link", "path": ALL}, "href"),
        Input({"type": "filter", "name": ALL}, "value"),
        Input({"type": "urlparam", "name": ALL, "default": ALL}, "value"),
        State({"type": "download-link", "path": ALL}, "id"),
    )(update_download_links)


def update_download_links(_filters, _params, ids):
    if not ids:
        return []
    vocab = queries.vocabulary(context.db())
    filters, _ = Filters.parse(values_from_inputs(dash.ctx.inputs_list[0]), vocab, strict=False)
    extra = {item["id"]["name"]: item.get("value") for item in dash.ctx.inputs_list[1]
             if item.get("value") not in (None, "", item["id"]["default"])}
    return [href(i["path"], filters, {k: str(v) for k, v in extra.items()}) for i in ids]
