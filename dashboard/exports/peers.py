"""``GET /export/peers.csv``: the comparison page's peer table as a CSV download.

Takes the page's own query (the filters of interfaces.md plus ``focus`` and ``peers``, and
the grid's ``sort`` and ``headers``: dashboard.data.tables) and builds the table with the
same functions as the page, so the two cannot disagree: the grid's columns in its order,
its rows in its sort order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dashboard.data import compare
from dashboard.data.database import Reader
from dashboard.data.filters import Filters
from dashboard.data.reference import institutions, vocabulary
from dashboard.data.state import CompareState
from dashboard.data.tables import PEER_TABLE
from dashboard.exports.csv import cell, table_csv
from dashboard.exports.errors import ExportError, table_request
from dashboard.exports.names import peers_name

INTEGERS = frozenset({"offerings", "enrolments", "completions"})


def peers_csv(rows: Sequence[Mapping[str, Any]], headers: str = "codes") -> bytes:
    """The peer grid's rows (dashboard.data.compare.grid_rows, in the order wanted) as UTF-8 CSV
    with a BOM, for Excel: the grid's columns in its order, headed by their names or its headings."""
    values = ([_value(r, c) for c in PEER_TABLE.fields] for r in rows)
    return table_csv(PEER_TABLE.header(headers), values, line_end="\r\n", format_cell=cell)


def _value(row: Mapping[str, Any], column: str) -> Any:
    if column in INTEGERS:
        hidden = row.get(f"{column}_mark")  # a count hidden from the viewer (dashboard.data.privacy)
        return str(hidden) if hidden else None if row[column] is None else int(row[column])
    return row[column]


def peers_download(reader: Reader, query: Mapping[str, Any], counter: list[int] | None = None) -> tuple[bytes, str]:
    """(CSV bytes, file name) for a request's query; ExportError when it is wrong. The rows
    written are added to ``counter``."""
    vocab = vocabulary(reader)
    filters, _ = Filters.parse(query, vocab, strict=True)
    state, problems = CompareState.parse(query, vocab)
    if state.focus is None and not problems:
        problems.append(
            "focus is required: an institution code, e.g. focus=" + (vocab.codes("institution") or ["BCIT"])[0]
        )
    if problems or state.focus is None:
        raise ExportError("; ".join(problems))
    wanted = table_request(PEER_TABLE, query)
    insts = institutions(reader)
    peers = compare.peer_codes(insts, state.focus, state.peers)
    profile = compare.institution_profile(reader, filters, vocab)
    periods = compare.compared_periods(filters, vocab)
    table = compare.explained_peer_table(reader, profile, insts, state.focus, peers, periods, vocab)
    rows = PEER_TABLE.sort_rows(compare.grid_rows(table), wanted.sort)  # the grid's rows, sorted as it sorts them
    if counter is not None:
        counter[0] += len(rows)
    return peers_csv(rows, wanted.headers), peers_name(state.focus, state.peers, filters)
