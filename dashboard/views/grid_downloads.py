"""Downloads beside a grid that hold what the grid shows (dashboard.data.tables): the grid's
column definitions from its ScreenTable, and the two stores through which its download links
follow its sort: ``<grid>-sort`` (the sort as ``field:dir,...``, written in the browser from
the grid's column state) and ``<grid>-downloads`` (the links' hrefs without a sort, written by
the page). assets/grid_downloads.js joins them; dashboard.pages._glue.follow_grid_sort
registers the two callbacks. The export routes check the sort against the table again.
"""

from __future__ import annotations

from typing import Any

from dash import dcc

from dashboard.data.tables import ScreenTable


def grid_column_defs(table: ScreenTable, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grid's ``columnDefs``: ``columns`` (one per field of the table, in its order) headed by
    the table's labels, so the grid and its downloads cannot disagree."""
    fields = tuple(c["field"] for c in columns)
    if fields != table.fields:
        raise ValueError(f"the grid's columns {fields} are not {table.name}'s {table.fields}")
    return [{"field": c["field"], "headerName": table.label(c["field"]), **c} for c in columns]


def sort_store_id(grid_id: str) -> str:
    return f"{grid_id}-sort"


def hrefs_store_id(grid_id: str) -> str:
    return f"{grid_id}-downloads"


def grid_download_stores(grid_id: str, hrefs: list[str] | None = None) -> list[dcc.Store]:
    """The grid's sort (empty until it is sorted) and its download links' hrefs (a page callback
    may write them later)."""
    return [dcc.Store(id=sort_store_id(grid_id), data=""), dcc.Store(id=hrefs_store_id(grid_id), data=hrefs)]
