"""``GET /export/peers.csv``: the comparison page's peer table as a CSV download.

Takes the page's own query (the filters of interfaces.md plus ``focus`` and ``peers``)
and builds the table with the same functions as the page, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from dashboard.data import compare
from dashboard.data.database import Reader
from dashboard.data.filters import Filters
from dashboard.data.reference import institutions, vocabulary
from dashboard.data.state import CompareState
from dashboard.exports.csv import cell, table_csv
from dashboard.exports.errors import ExportError
from dashboard.exports.names import peers_name

# Columns of data.compare.peer_table, in the download's order; the file names the first two
# as the other downloads do.
COLUMNS = ("code", "name", "sector", "region", "offerings", "enrolments", "completions", "completion_rate",
           "ce_share", "credit_share", "compliance", "is_focus", "note")  # fmt: skip
HEADER = ("institution_code", "institution_name", *COLUMNS[2:])
INTEGERS = frozenset({"offerings", "enrolments", "completions"})


def peers_csv(table: pd.DataFrame) -> bytes:
    """The peer table (data.compare.peer_table) as UTF-8 CSV with a BOM, for Excel."""
    rows = ([_value(r, c) for c in COLUMNS] for r in table.to_dict("records"))
    return table_csv(HEADER, rows, line_end="\r\n", format_cell=cell)


def _value(row: dict[str, Any], column: str) -> Any:
    if column in INTEGERS:
        hidden = row.get(f"{column}_mark")  # a count hidden from the viewer (dashboard.data.privacy)
        return str(hidden) if hidden else int(row[column])
    if column == "is_focus":
        return bool(row[column])
    value = row[column]
    return None if isinstance(value, float) and value != value else value


def peers_download(reader: Reader, query: Mapping[str, Any]) -> tuple[bytes, str]:
    """(CSV bytes, file name) for a request's query; ExportError when it is wrong."""
    vocab = vocabulary(reader)
    filters, _ = Filters.parse(query, vocab, strict=True)
    state, problems = CompareState.parse(query, vocab)
    if state.focus is None and not problems:
        problems.append(
            "focus is required: an institution code, e.g. focus=" + (vocab.codes("institution") or ["BCIT"])[0]
        )
    if problems or state.focus is None:
        raise ExportError("; ".join(problems))
    insts = institutions(reader)
    peers = compare.peer_codes(insts, state.focus, state.peers)
    table = compare.peer_table(compare.institution_profile(reader, filters, vocab), insts, state.focus, peers, vocab)
    return peers_csv(table), peers_name(state.focus, state.peers, filters)
