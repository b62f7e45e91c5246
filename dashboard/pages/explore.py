"""Data explorer: the offerings behind every figure, a block at a time, and downloads of exactly them."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from dashboard import context
from dashboard.data import explore as explore_queries
from dashboard.data.database import Reader
from dashboard.data.filters import Filters
from dashboard.data.reference import vocabulary
from dashboard.data.state import SEARCH_MAX_CHARS, ExploreState
from dashboard.pages._glue import page_layout, start
from dashboard.views.downloads import download_link
from dashboard.views.explore import column_defs, submission_body
from dashboard.views.filters import filter_panel, url_param_id

dash.register_page(__name__, path="/explore", name="Explore", title="Explore | B.C. Micro-credentials", order=2)

GRID_ID = "explore-grid"
BLOCK_ROWS = 100
DOWNLOADS = (("csv", "CSV"), ("xlsx", "Excel"), ("parquet", "Parquet"))


@page_layout
def layout(**query):
    _reader, vocab, filters, problems = start(query)
    state = ExploreState.parse(query)
    search = state.search or ""
    extra = state.to_query()
    column_options = [{"label": c.header, "value": f} for f, c in explore_queries.GRID_COLUMNS.items()]
    return html.Div(
        [
            html.H1("Explore offerings", className="h3 mb-1"),
            html.P(
                "Every current offering behind the figures, as reported. Sort or filter any column, search titles, "
                "and click a submission file to see where a row came from. Downloads hold exactly the offerings "
                "that match the filters and title search above.",
                className="text-muted mb-3",
            ),
            filter_panel(filters, vocab, problems),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.InputGroup(
                            [
                                dbc.InputGroupText("Title contains"),
                                dbc.Input(
                                    id=url_param_id("q", ""),
                                    type="search",
                                    value=search,
                                    debounce=0.4,
                                    placeholder="e.g. python",
                                    maxLength=SEARCH_MAX_CHARS,
                                    autoComplete="off",
                                ),
                            ],
                            size="sm",
                            id="explore-search",
                        ),
                        xs=12,
                        md=5,
                        lg=4,
                        className="mb-2",
                    ),
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Button(
                                    "Choose columns",
                                    id="explore-columns-toggle",
                                    color="primary",
                                    outline=True,
                                    size="sm",
                                    className="me-3",
                                ),
                                html.Span("Download", className="small fw-semibold me-2"),
                                html.Div(
                                    [
                                        download_link(
                                            f"/export/offerings.{fmt}",
                                            label,
                                            filters,
                                            extra,
                                            title=f"Download the matching offerings as {label}",
                                        )
                                        for fmt, label in DOWNLOADS
                                    ],
                                    className="btn-group",
                                    role="group",
                                    id="explore-downloads",
                                ),
                            ],
                            className="d-flex align-items-center flex-wrap justify-content-md-end gap-1",
                        ),
                        xs=12,
                        md=7,
                        lg=8,
                        className="mb-2",
                    ),
                ],
                className="align-items-center",
            ),
            dbc.Collapse(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div("Columns shown", className="small fw-semibold mb-1"),
                            dbc.Checklist(
                                id="explore-columns",
                                options=column_options,
                                inline=True,
                                className="small",
                                value=[f for f, c in explore_queries.GRID_COLUMNS.items() if c.shown],
                            ),
                        ]
                    ),
                    className="mb-2",
                ),
                id="explore-columns-panel",
                is_open=False,
            ),
            html.Div(
                [
                    html.Span("…", id="explore-count", className="fw-semibold"),
                    html.Span(" offerings match", id="explore-count-words", className="text-muted"),
                    html.Span("", id="explore-grid-notice", className="text-danger small ms-2"),
                ],
                className="mb-1",
                **{"aria-live": "polite"},
            ),
            dag.AgGrid(
                id=GRID_ID,
                rowModelType="infinite",
                columnDefs=column_defs(),
                defaultColDef={"sortable": True, "resizable": True, "filter": True, "suppressHeaderMenuButton": False},
                getRowId="params.data.submission_id + '/' + params.data.source_row",
                dashGridOptions={
                    "cacheBlockSize": BLOCK_ROWS,
                    "maxBlocksInCache": 20,
                    "infiniteInitialRowCount": 1,
                    "rowBuffer": 10,
                    "tooltipShowDelay": 400,
                    "enableCellTextSelection": True,
                    "rowHeight": 34,
                    "localeText": {"noRowsToShow": "No offerings match these filters."},
                },
                className="ag-theme-alpine",
                style={"height": "calc(100vh - 330px)", "minHeight": "420px", "width": "100%"},
            ),
            dcc.Store(id="explore-refresh"),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Submission", id="submission-title")),
                    dbc.ModalBody(id="submission-details"),
                ],
                id="submission-modal",
                is_open=False,
                size="lg",
                scrollable=True,
            ),
        ]
    )


# --- building outputs (plain functions, tested without a browser) ------------------------


def grid_response(reader: Reader, filters: Filters, search: str | None, request: dict) -> tuple[dict, str, str]:
    """(getRowsResponse, count text, notice) for one getRowsRequest: the grid's row source."""
    try:
        page = explore_queries.grid_rows(reader, filters, search, request or {})
    except explore_queries.GridRequestError as exc:
        return {"rowData": [], "rowCount": 0}, "0", f"That column filter cannot be applied: {exc}."
    return {"rowData": page.rows, "rowCount": page.row_count}, f"{page.row_count:,}", ""


def submission_details(reader: Reader, submission_id) -> tuple[str, object]:
    """(modal title, body) describing one submission (text only: file names are never read as HTML)."""
    info = explore_queries.submission(reader, submission_id) if submission_id is not None else None
    return submission_body(info)


# --- callbacks ---------------------------------------------------------------------------


@callback(
    Output(GRID_ID, "getRowsResponse"),
    Output("explore-count", "children"),
    Output("explore-grid-notice", "children"),
    Input(GRID_ID, "getRowsRequest"),
    State({"type": "filter", "name": ALL}, "value"),
    State({"type": "urlparam", "name": "q", "default": ALL}, "value"),
    prevent_initial_call=True,
)
def serve_rows(request, _filter_values, search_values):
    if not request:
        return no_update, no_update, no_update
    reader = context.reader()
    filters = Filters.from_controls(ctx.states_list[0], vocabulary(reader))
    search = ExploreState.parse({"q": search_values or []}).search
    return grid_response(reader, filters, search, request)


# A filter or the title search changed: drop the grid's cached blocks so it asks again.
clientside_callback(
    """function () {
        const api = window.dash_ag_grid && window.dash_ag_grid.getApi && window.dash_ag_grid.getApi("' + GRID_ID + '");
        if (api) { api.purgeInfiniteCache(); }
        return window.dash_clientside.no_update;
    }""".replace("' + GRID_ID + '", GRID_ID),
    Output("explore-refresh", "data"),
    Input({"type": "filter", "name": ALL}, "value"),
    Input({"type": "urlparam", "name": "q", "default": ALL}, "value"),
    prevent_initial_call=True,
)


@callback(
    Output(GRID_ID, "columnDefs"),
    Input("explore-columns", "value"),
    prevent_initial_call=True,
)
def choose_columns(shown):
    return column_defs(list(shown or []))


clientside_callback(
    "function(n, open) { return n ? !open : open; }",
    Output("explore-columns-panel", "is_open"),
    Input("explore-columns-toggle", "n_clicks"),
    State("explore-columns-panel", "is_open"),
    prevent_initial_call=True,
)


@callback(
    Output("submission-modal", "is_open"),
    Output("submission-title", "children"),
    Output("submission-details", "children"),
    Input(GRID_ID, "cellClicked"),
    prevent_initial_call=True,
)
def open_submission(cell):
    if not cell or cell.get("colId") != "file_name" or not cell.get("rowId"):
        return no_update, no_update, no_update
    try:
        submission_id = int(str(cell["rowId"]).split("/")[0])
    except ValueError:
        return no_update, no_update, no_update
    title, body = submission_details(context.reader(), submission_id)
    return True, title, body
