"""``GET /export/peers.csv``: the comparison page's peer table as a CSV download.

Takes the page's own query (the filters of interfaces.md plus ``focus`` and ``peers``)
and builds the table with the same functions as the page, so the two cannot disagree.
Unknown values answer HTTP 400 with the accepted ones. Text cells that a spreadsheet
would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import re

from flask import Flask, Response, request

from dashboard import context
from dashboard.cell_safety import guard_text
from dashboard.data import compare as cq
from dashboard.data import overview as queries
from dashboard.data.database import NoWarehouse
from dashboard.data.filters import FilterError, Filters

HEADER = ("institution_code", "institution_name", "sector", "region", "offerings", "enrolments", "completions",
          "completion_rate", "ce_share", "credit_share", "compliance", "is_focus", "note")


def safe_cell(value) -> str:
    """A CSV cell that Excel and LibreOffice show as text, never run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "" if value != value else f"{value:.4f}"
    return guard_text(str(value))


def peers_csv(table) -> bytes:
    """The peer table (compare_queries.peer_table) as UTF-8 CSV with a BOM, for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in table.to_dict("records"):
        writer.writerow([safe_cell(v) for v in (
            r["code"], r["name"], r["sector"], r["region"], int(r["offerings"]), int(r["enrolments"]),
            int(r["completions"]), r["completion_rate"], r["ce_share"], r["credit_share"], r["compliance"],
            bool(r["is_focus"]), r["note"])])
    return out.getvalue().encode("utf-8-sig")


def _bad_request(message: str) -> Response:
    return Response(message + "\n", status=400, mimetype="text/plain")


def _file_name(focus: str, choice: cq.PeerChoice, filters: Filters) -> str:
    periods = "-".join(p.replace("/", "-") for p in filters.period) or "all-periods"
    group = "custom" if choice.kind == "custom" else choice.kind
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"mcred_peers_{focus}_{group}_{periods}.csv")


def export_peers() -> Response:
    db = context.db()
    try:
        vocab = queries.vocabulary(db)
    except NoWarehouse as exc:
        return Response(str(exc) + "\n", status=503, mimetype="text/plain")
    query = {k: request.args.getlist(k) for k in request.args}
    try:
        filters, _ = Filters.parse(query, vocab, strict=True)
    except FilterError as exc:
        return _bad_request("; ".join(exc.problems))
    focus, problems = cq.parse_focus(request.args.get("focus"), vocab)
    choice, peer_problems = cq.parse_peers(request.args.get("peers"), vocab)
    problems += peer_problems
    if focus is None and not problems:
        problems.append("focus is required: an institution code, e.g. focus=" + (vocab.codes("institution") or
                                                                               ["BCIT"])[0])
    if problems:
        return _bad_request("; ".join(problems))
    institutions = cq.institutions(db)
    peers = cq.peer_codes(institutions, focus, choice)
    table = cq.peer_table(cq.institution_profile(db, filters, vocab), institutions, focus, peers, vocab)
    return Response(peers_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_file_name(focus, choice, filters)}"'})


def register_routes(server: Flask) -> None:
    server.add_url_rule("/export/peers.csv", "export_peers_csv", export_peers, methods=["GET"])
