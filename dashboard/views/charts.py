"""Every chart's text alternative: a "Show as table" disclosure under the graph. The table is
written in the browser from the figure the graph holds (assets/chart_tables.js), so it always
shows what the chart shows; on a chart that filters the page when a bar is clicked, each row's
button (Enter, Space or a click) does the same through the graph's own clickData."""

from __future__ import annotations

from dash import html


def chart_table(graph_id: str, filters_on_click: bool = False) -> html.Details:
    """The disclosure that holds ``graph_id``'s data as a table."""
    return html.Details(
        [
            html.Summary("Show as table", className="small"),
            html.Div(
                className="chart-table",
                **{"data-graph": graph_id, "data-clickable": "1" if filters_on_click else "0"},
            ),
        ],
        className="chart-table-box mt-1",
    )
