"""The downloads of /submit, in one Blueprint under ``/export/drafts`` (a data route: the gate
answers 401 to nobody and the scope 403 to anyone else's draft):

- ``/export/drafts/<id>/report.csv`` and ``.xlsx``: a draft's validation report, as the page's
  report grid lists it (its columns; ``sort`` and ``headers`` as dashboard.data.tables reads them);
- ``/export/drafts/<id>/file``: the bytes as uploaded (always an attachment, never shown);
- ``/export/drafts/template.xlsx``: the submission template (what ``mcred template`` writes).

``install`` also puts the app's :class:`~dashboard.submitting.service.Portal` on the server.
"""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from flask import Blueprint, Flask, Response, current_app, request, send_file

from dashboard import notices
from dashboard.access import web as access_web
from dashboard.access.store import AccessStore, store_path
from dashboard.data import portal as portal_queries
from dashboard.data.database import Database, NoWarehouse
from dashboard.data.reference import vocabulary
from dashboard.data.tables import REPORT_TABLE, TableRequest
from dashboard.exports.csv import csv_chunks
from dashboard.exports.errors import ExportError, table_request
from dashboard.exports.formats import MEDIA_TYPES
from dashboard.exports.issues import ROW_NUMBER_NOTE, xlsx_bytes
from dashboard.settings import DashboardSettings
from dashboard.submitting import worker
from dashboard.submitting.service import Portal
from dashboard.submitting.store import Draft

EXTENSION_KEY = "mcred.submitting"

drafts = Blueprint("drafts", __name__, url_prefix="/export/drafts")


@drafts.errorhandler(ExportError)
def _export_error(exc: ExportError) -> Response:
    return Response(exc.text(), status=exc.status, mimetype="text/plain")


def install(server: Flask, settings: DashboardSettings, database: Database) -> Portal:
    """The app's Portal: its draft store, the warehouse's record of loaded drafts, and notices."""

    def loaded_as(draft_id: int) -> int | None:
        try:
            return portal_queries.loaded_draft(database.reader(), draft_id)
        except NoWarehouse:
            return None

    def notify(event: str, draft: Draft) -> None:
        tell(settings, AccessStore(store_path(settings.db_path)), database, event, draft)

    portal = Portal(
        settings.db_path,
        max_upload_mb=settings.max_upload_mb,
        edit_threshold=settings.edit_threshold,
        loaded_as=loaded_as,
        notify=notify,
    )
    server.extensions[EXTENSION_KEY] = portal
    server.register_blueprint(drafts)
    return portal


def tell(settings: DashboardSettings, accounts: AccessStore, database: Database, event: str, draft: Draft) -> bool:
    """E-mail the ministry of a submitted draft, or the institution's accounts of a returned one."""
    institution = draft.institution_code or draft.owner or "?"
    try:
        name = vocabulary(database.reader()).label("institution", institution)
    except NoWarehouse:
        name = institution
    about = notices.About(institution, name, draft.reporting_period or "?", draft.file_name)
    people = accounts.accounts()
    who_did = next((e.by_user for e in reversed(draft.events) if e.event == event), "?")
    if event == "submitted":
        to = [a.email for a in people if a.role == "ministry"]
        notice = notices.submitted_notice(settings, about, who=who_did)
    elif event == "returned":
        to = [a.email for a in people if a.role == "institution" and a.institution == draft.owner]
        notice = notices.returned_notice(settings, about, who=who_did, comment=draft.comment or "")
    else:
        return False
    return notices.send_notice(settings, to=to, subject=notice.subject, body=notice.body)


def portal() -> Portal:
    return current_app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]


def _attachment(name: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


def report_table(draft: Any, wanted: TableRequest = TableRequest()) -> pa.Table:
    """The draft's issues as the report on /submit lists them: its columns in its order, its rows
    sorted as its grid is (``wanted``: the request's sort and headers)."""
    issues = REPORT_TABLE.sort_rows([i for s in draft.submissions for i in (s.get("issues") or [])], wanted.sort)
    return pa.table(
        {
            name: pa.array([i.get(c.field) for i in issues], type=pa.int64() if c.field == "row" else pa.string())
            for c, name in zip(REPORT_TABLE.columns, REPORT_TABLE.header(wanted.headers), strict=True)
        }
    )


def report_name(draft: Any, ext: str) -> str:
    stem = worker.safe_file_name(draft.file_name).rsplit(".", 1)[0].replace(" ", "_")
    return f"draft-{draft.draft_id}-{stem}-check.{ext}"


@drafts.get("/<int:draft_id>/report.csv")
def report_csv(draft_id: int) -> Response:
    draft = portal().visible(access_web.current_actor().scope, draft_id)
    table = report_table(draft, table_request(REPORT_TABLE, request.args.to_dict(flat=False)))
    return Response(
        b"".join(csv_chunks(table.to_batches(), table.column_names)),
        content_type=MEDIA_TYPES["csv"],
        headers=_attachment(report_name(draft, "csv")),
    )


@drafts.get("/<int:draft_id>/report.xlsx")
def report_xlsx(draft_id: int) -> Response:
    draft = portal().visible(access_web.current_actor().scope, draft_id)
    wanted = table_request(REPORT_TABLE, request.args.to_dict(flat=False))
    table = report_table(draft, wanted)
    about = [
        ("draft", draft.draft_id),
        ("file", draft.file_name),
        ("sha256", draft.sha256),
        ("uploaded", f"{draft.uploaded_at} by {draft.uploaded_by}"),
        ("errors", draft.errors),
        ("warnings", draft.warnings),
        ("row numbers", ROW_NUMBER_NOTE),
        ("sorted by", REPORT_TABLE.describe_sort(wanted.sort)),
        ("generated at", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
    ]
    body = xlsx_bytes(table.to_batches(), table.column_names, about)
    return Response(body, mimetype=MEDIA_TYPES["xlsx"], headers=_attachment(report_name(draft, "xlsx")))


@drafts.get("/<int:draft_id>/file")
def original_file(draft_id: int) -> Response:
    """The bytes as uploaded, as an opaque attachment (never rendered by the browser)."""
    found = portal()
    draft = found.visible(access_web.current_actor().scope, draft_id)
    return Response(
        found.store.content(draft_id),
        mimetype="application/octet-stream",
        headers=_attachment(worker.safe_file_name(draft.file_name)),
    )


@drafts.get("/template.xlsx")
def template() -> Response:
    found = portal()
    found.require_submitter(access_web.current_actor().scope)
    with tempfile.TemporaryDirectory(dir=found.db_path.parent) as folder:
        body = worker.template(Path(folder)).read_bytes()
    return send_file(
        io.BytesIO(body),
        mimetype=MEDIA_TYPES["xlsx"],
        as_attachment=True,
        download_name="mcred-submission-template.xlsx",
        max_age=0,
    )
