"""Download links that follow the page's filters: ``download_link(path, label)`` gives a plain
link to an export endpoint (dashboard/exports/); one app-wide callback (dashboard/app.py)
rewrites every such link's query whenever a filter or URL-state control (measure, split,
search...) changes."""

from __future__ import annotations

from dash import html

from dashboard.data.filters import Filters


def download_id(path: str) -> dict:
    return {"type": "download-link", "path": path}


def href(path: str, filters: Filters, extra: dict[str, str] | None = None) -> str:
    return path + filters.to_search(extra)


def chart_download(chart_id: str) -> html.Div:
    """The small "Download CSV" link under an overview chart (its data: /export/chart/<id>.csv)."""
    return html.Div(
        download_link(
            f"/export/chart/{chart_id}.csv",
            "Download CSV",
            Filters(),
            className="small chart-download",
            title="This chart's data as CSV",
        ),
        className="text-end",
    )


def download_link(
    path: str,
    label: str,
    filters: Filters,
    extra: dict[str, str] | None = None,
    className: str = "btn btn-outline-primary btn-sm",
    title: str | None = None,
) -> html.A:
    """A link to ``path`` with the current filters; the browser saves the response (Content-Disposition)."""
    return html.A(
        label,
        id=download_id(path),
        href=href(path, filters, extra),
        className=className,
        download="",
        title=title,
        rel="nofollow",
    )
