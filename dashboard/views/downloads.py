"""Download links that follow the page's filters: ``download_link(path, label, filters)`` gives a
plain link to an export endpoint (dashboard/exports/) with the view's query; the page's own
change callback rewrites it (its id is :func:`download_id`) whenever a filter or URL-state
control (measure, split...) changes, in the same request as the figures it downloads."""

from __future__ import annotations

from dash import html

from dashboard.data.filters import Filters


def download_id(path: str) -> dict:
    return {"type": "download-link", "path": path}


def href(path: str, filters: Filters, extra: dict[str, str] | None = None) -> str:
    return path + filters.to_search(extra)


def chart_path(chart_id: str) -> str:
    return f"/export/chart/{chart_id}.csv"


def chart_download(chart_id: str, filters: Filters, extra: dict[str, str] | None = None) -> html.Div:
    """The small "Download CSV" link under an overview chart (its data: /export/chart/<id>.csv)."""
    return html.Div(
        download_link(
            chart_path(chart_id),
            "Download CSV",
            filters,
            extra,
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
