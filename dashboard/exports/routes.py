"""The export endpoints, in one Flask Blueprint (registered by ``dashboard.app.create_app``;
``mcred export`` never imports this module).

Every route reads its request into the same objects as the pages (``Filters``, the page
state of ``dashboard.data.state``), calls one function of ``dashboard.exports`` and
answers; an ``ExportError`` carries its own HTTP status, unknown filter values answer 400
with the accepted ones and a missing warehouse 503, always as plain text.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, request, send_file, stream_with_context

from dashboard import context
from dashboard.access import web as access_web
from dashboard.data.database import NoWarehouse, Reader
from dashboard.data.filters import FilterError
from dashboard.data.reference import vocabulary
from dashboard.data.state import ExploreRequestError, OverviewState
from dashboard.exports import charts, issues, names, offerings, peers
from dashboard.exports.errors import ExportError
from dashboard.exports.formats import FORMATS, MEDIA_TYPES

exports = Blueprint("exports", __name__, url_prefix="/export")


def _query() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def _attachment(name: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


@exports.errorhandler(ExportError)
def _export_error(exc: ExportError) -> Response:
    return Response(exc.text(), status=exc.status, mimetype="text/plain")


@exports.errorhandler(FilterError)
def _filter_error(exc: FilterError) -> Response:
    return _export_error(ExportError("Unknown filter values:", 400, exc.problems))


@exports.errorhandler(ExploreRequestError)
def _explore_error(exc: ExploreRequestError) -> Response:
    return _export_error(ExportError("Unknown explorer parameters:", 400, exc.problems))


@exports.errorhandler(NoWarehouse)
def _no_warehouse(exc: NoWarehouse) -> Response:
    return _export_error(ExportError(str(exc), 503))


@exports.get("/offerings.<fmt>")
def export_offerings(fmt: str) -> Any:
    if fmt not in FORMATS:
        raise ExportError(f"No such export: formats are {', '.join(FORMATS)}.", status=404)
    reader = context.reader()
    filters, state = offerings.parse_filters(_query(), vocabulary(reader))
    name = names.offerings_name(filters, fmt, search=state.search, filtered=[f.column for f in state.filters])
    if fmt == "csv":
        return Response(
            stream_with_context(offerings.csv_chunks(reader, filters, state, access_web.streamed_rows())),
            content_type=MEDIA_TYPES["csv"],
            headers=_attachment(name),
        )
    tmp = tempfile.TemporaryFile()
    try:
        access_web.exported_rows(offerings.export_to_file(reader, filters, fmt, tmp, state))  # the audit
    except BaseException:
        tmp.close()
        raise
    tmp.seek(0)
    current_app.logger.info("export %s", name)
    response = send_file(tmp, mimetype=MEDIA_TYPES[fmt], as_attachment=True, download_name=name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@exports.get("/chart/<chart>.csv")
def export_chart(chart: str) -> Response:
    reader = context.reader()
    filters, _state = offerings.parse_filters(_query(), vocabulary(reader))
    measure = request.args.get("measure") or OverviewState.DEFAULTS["measure"]
    split = request.args.get("split") or "none"
    rows = charts.chart_rows(reader, chart, filters, measure, split)
    access_web.exported_rows(len(rows))  # the audit
    named = filters.with_values(period=()) if chart == charts.TREND_CHART else filters  # the trend spans all years
    return Response(
        charts.chart_csv(rows),
        content_type=MEDIA_TYPES["csv"],
        headers=_attachment(names.chart_name(named, chart, measure)),
    )


@exports.get("/peers.csv")
def export_peers() -> Response:
    return _counted_download(peers.peers_download, "csv")


@exports.get("/issues.csv")
def export_issues_csv() -> Response:
    chunks, name = issues.issues_csv(context.reader(), _query(), access_web.streamed_rows())
    return Response(chunks, content_type=MEDIA_TYPES["csv"], headers=_attachment(name))


@exports.get("/issues.xlsx")
def export_issues_xlsx() -> Response:
    return _counted_download(issues.issues_xlsx, "xlsx")


def _counted_download(
    build: Callable[[Reader, Mapping[str, Any], list[int]], tuple[bytes, str]], kind: str
) -> Response:
    """A download built whole by ``build(reader, query, counter)``, its rows (the counter) audited."""
    counter = [0]
    body, name = build(context.reader(), _query(), counter)
    access_web.exported_rows(counter[0])  # the audit
    return Response(body, content_type=MEDIA_TYPES[kind], headers=_attachment(name))
