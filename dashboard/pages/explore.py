"""Data explorer: the offerings behind every figure, a block at a time, and downloads of exactly them."""

from __future__ import annotations

from typing import NamedTuple

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from dashboard import context
from dashboard.data import explore as explore_queries
from dashboard.data.columns import DEFAULT_SHOWN, GRID_COLUMNS
from dashboard.data.database import Reader
from dashboard.data.filters import Filters
from dashboard.data.reference import vocabulary
from dashboard.data.state import FILTER_PREFIX, SEARCH_MAX_CHARS, ExploreState
from dashboard.pages._glue import page_layout, start
from dashboard.views.downloads import href
from dashboard.views.explore import column_defs, count_words, initial_state, submission_body
from dashboard.views.filters import filter_panel, url_param_id
from dashboard.views.layout import download_button, download_group, page_heading, small_button

dash.register_page(__name__, path="/explore", name="Explore", title="Explore | B.C. Micro-credentials", order=2)

GRID_ID = "explore-grid"
BLOCK_ROWS = 100
DOWNLOADS = (("csv", "CSV"), ("xlsx", "Excel"), ("parquet", "Parquet"))
HEADER_OPTIONS = [
    {"label": "Codes", "value": "codes"},
    {"label": "Labels", "value": "labels"},
]
# The grid's own filters and sort live in the URL through hidden inputs (the shell's syncUrl
# writes every {"type": "urlparam"} value): one per column filter, one for the sort.
GRID_FILTER_IDS = {name: url_param_id(FILTER_PREFIX + name, "") for name in GRID_COLUMNS}
SORT_ID = url_param_id("sort", "")
COLUMNS_ID = url_param_id("columns", ",".join(DEFAULT_SHOWN))
HEADERS_ID = url_param_id("headers", "codes")


def explore_download_id(fmt: str) -> dict:
    return {"type": "explore-download", "fmt": fmt}


def download_href(fmt: str, filters: Filters, state: ExploreState) -> str:
    """A download of exactly what the grid shows: its rows (filters, search, grid filters), its
    columns in their order (always named, so the file holds those and no more) and its sort."""
    return href(f"/export/offerings.{fmt}", filters, state.to_query(name_columns=True))


# The toolbar above the grid: the title search at the left, columns and downloads at the right.
_TOOLBAR_LEFT = {"xs": 12, "md": 5, "lg": 4, "className": "mb-2"}
_TOOLBAR_RIGHT = {"xs": 12, "md": 7, "lg": 8, "className": "mb-2"}


@page_layout
def layout(**query):
    _reader, vocab, filters, problems = start(query)
    state, state_problems = ExploreState.read(query)
    search = state.search or ""
    column_options = [{"label": c.header, "value": f} for f, c in GRID_COLUMNS.items()]
    grid_values = {f.column: f.to_param() for f in state.filters}
    return html.Div(
        [
            *page_heading(
                "Explore offerings",
                "Every current offering behind the figures, as reported. Sort or filter any column, search titles, "
                "and click a submission file to see where a row came from. Downloads hold exactly the rows and "
                "columns the grid shows, in its order.",
            ),
            filter_panel(filters, vocab, problems + state_problems),
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
                        **_TOOLBAR_LEFT,
                    ),
                    dbc.Col(
                        html.Div(
                            [
                                small_button("Choose columns", "explore-columns-toggle"),
                                html.Div(
                                    [
                                        html.Span(
                                            "Column names",
                                            id="explore-headers-label",
                                            className="small fw-semibold me-2",
                                        ),
                                        html.Div(
                                            dbc.RadioItems(
                                                id=HEADERS_ID,
                                                options=HEADER_OPTIONS,
                                                value=state.headers,
                                                inline=True,
                                                className="small",
                                                input_class_name="me-1",
                                            ),
                                            role="radiogroup",
                                            className="d-inline-block",
                                            **{"aria-labelledby": "explore-headers-label"},
                                        ),
                                    ],
                                    className="d-inline-flex align-items-center me-2",
                                    title="Codes: field names and codes, a file mcred loads back. "
                                    "Labels: the names and values on the screen, for people.",
                                ),
                                download_group(
                                    [
                                        download_button(
                                            label,
                                            explore_download_id(fmt),
                                            download_href(fmt, filters, state),
                                            title=f"Download the offerings the grid shows as {label}",
                                        )
                                        for fmt, label in DOWNLOADS
                                    ],
                                    group_id="explore-downloads",
                                    aria_label="Download the offerings the grid shows",
                                ),
                            ],
                            className="d-flex align-items-center flex-wrap justify-content-md-end gap-1",
                        ),
                        **_TOOLBAR_RIGHT,
                    ),
                ],
                className="align-items-center",
            ),
            dbc.Collapse(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div("Columns shown", id="explore-columns-label", className="small fw-semibold mb-1"),
                            html.Div(
                                dbc.Checklist(
                                    id=COLUMNS_ID,
                                    options=column_options,
                                    inline=True,
                                    className="small",
                                    value=list(state.shown_columns()),
                                ),
                                role="group",
                                **{"aria-labelledby": "explore-columns-label"},
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
            html.Div(
                [dcc.Input(id=i, type="hidden", value=grid_values.get(name, "")) for name, i in GRID_FILTER_IDS.items()]
                + [dcc.Input(id=SORT_ID, type="hidden", value=state.to_query()["sort"])],
                hidden=True,
            ),
            dag.AgGrid(
                id=GRID_ID,
                rowModelType="infinite",
                columnDefs=column_defs(state.shown_columns()),
                defaultColDef={
                    "sortable": True,
                    "resizable": True,
                    "filter": True,
                    "suppressHeaderMenuButton": False,
                    "suppressMovable": True,  # the column order is the chooser's (and the downloads')
                },
                getRowId="params.data.submission_id + '/' + params.data.source_row",
                dashGridOptions={
                    "cacheBlockSize": BLOCK_ROWS,
                    "maxBlocksInCache": 20,
                    "infiniteInitialRowCount": 1,
                    "rowBuffer": 10,
                    "tooltipShowDelay": 400,
                    "enableCellTextSelection": True,
                    "rowHeight": 34,
                    "initialState": initial_state(state),
                    "localeText": {"noRowsToShow": "No offerings match these filters."},
                },
                className="ag-theme-alpine",
                style={"height": "calc(100vh - 330px)", "minHeight": "420px", "width": "100%"},
            ),
            dcc.Store(id="explore-refresh"),
            dcc.Store(id="explore-grid-state"),
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


class GridAnswer(NamedTuple):
    response: dict
    count: str
    notice: str
    words: str
    state: ExploreState | None  # the grid's filters and sort as explorer state (None: not applied)


def grid_answer(reader: Reader, filters: Filters, state: ExploreState | str | None, request: dict) -> GridAnswer:
    """The grid's row source for one getRowsRequest: rows, the count in words, a notice when the
    grid's filter or sort cannot be applied, and the state its models amount to."""
    try:
        grid = explore_queries.grid_state(state, request or {})
        page = explore_queries.grid_rows(reader, filters, grid, request or {})
    except explore_queries.GridRequestError as exc:
        count, words = count_words(0)
        return GridAnswer(
            {"rowData": [], "rowCount": 0}, count, f"That column filter cannot be applied: {exc}.", words, None
        )
    count, words = count_words(page.row_count)
    return GridAnswer({"rowData": page.rows, "rowCount": page.row_count}, count, "", words, grid)


def grid_response(
    reader: Reader, filters: Filters, search: ExploreState | str | None, request: dict
) -> tuple[dict, str, str]:
    """(getRowsResponse, count text, notice) for one getRowsRequest."""
    answer = grid_answer(reader, filters, search, request)
    return answer.response, answer.count, answer.notice


def submission_details(reader: Reader, submission_id) -> tuple[str, object]:
    """(modal title, body) describing one submission (text only: file names are never read as HTML)."""
    info = explore_queries.submission(reader, submission_id) if submission_id is not None else None
    return submission_body(info)


def state_from_controls(params: list[dict]) -> ExploreState:
    """The explorer state from the page's {"type": "urlparam"} controls (a callback's ALL input list)."""
    query = {}
    for item in params:
        value = item.get("value")
        query[item["id"]["name"]] = (
            ",".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        )
    return ExploreState.parse(query)


# --- callbacks ---------------------------------------------------------------------------


@callback(
    Output(GRID_ID, "getRowsResponse"),
    Output("explore-count", "children"),
    Output("explore-grid-notice", "children"),
    Output("explore-count-words", "children"),
    Output("explore-grid-state", "data"),
    Input(GRID_ID, "getRowsRequest"),
    State({"type": "filter", "name": ALL}, "value"),
    State({"type": "urlparam", "name": "q", "default": ALL}, "value"),
    prevent_initial_call=True,
)
def serve_rows(request, _filter_values, search_values):
    """A block of rows, and the grid's filter and sort models as URL parameters (explore-grid-state)."""
    if not request:
        return no_update, no_update, no_update, no_update, no_update
    reader = context.reader()
    filters = Filters.from_controls(ctx.states_list[0], vocabulary(reader))
    search = ExploreState.parse({"q": search_values or []}).search
    answer = grid_answer(reader, filters, search, request)
    if answer.state is None:
        return answer.response, answer.count, answer.notice, answer.words, no_update
    query = answer.state.to_query()
    grid = [query.get(FILTER_PREFIX + name, "") for name in GRID_FILTER_IDS] + [query["sort"]]
    return answer.response, answer.count, answer.notice, answer.words, grid


# The grid's models into the hidden URL-state inputs, only where they changed (so the URL and
# the download links follow the grid without a round trip per block of rows).
clientside_callback(
    """function (wanted) {
        const current = Array.prototype.slice.call(arguments, 1);
        if (!Array.isArray(wanted) || wanted.length !== current.length) {
            return current.map(function () { return window.dash_clientside.no_update; });
        }
        return wanted.map(function (value, i) {
            return value === (current[i] || "") ? window.dash_clientside.no_update : value;
        });
    }""",
    *(Output(i, "value") for i in GRID_FILTER_IDS.values()),
    Output(SORT_ID, "value"),
    Input("explore-grid-state", "data"),
    *(State(i, "value") for i in GRID_FILTER_IDS.values()),
    State(SORT_ID, "value"),
    prevent_initial_call=True,
)


@callback(
    Output({"type": "explore-download", "fmt": ALL}, "href"),
    Input({"type": "filter", "name": ALL}, "value"),
    Input({"type": "urlparam", "name": ALL, "default": ALL}, "value"),
    State({"type": "explore-download", "fmt": ALL}, "id"),
)
def update_downloads(_filters, _params, ids):
    """The download links hold what the grid shows: filters, search, grid filters, sort, columns, headers."""
    filters = Filters.from_controls(ctx.inputs_list[0], vocabulary(context.reader()))
    state = state_from_controls(ctx.inputs_list[1])
    return [download_href(i["fmt"], filters, state) for i in ids]


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
    Input(COLUMNS_ID, "value"),
    prevent_initial_call=True,
)
def choose_columns(shown):
    return column_defs(ExploreState.parse({"columns": ",".join(shown or [])}).shown_columns())


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
