"""The downloads of /submit, in one Blueprint under ``/export/drafts`` (a data route: the gate
answers 401 to nobody and the scope 403 to anyone else's draft):

- ``/export/drafts/<id>/report.csv`` and ``.xlsx``: a draft's validation report;
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
from flask import Blueprint, Flask, Response, current_app, send_file

from dashboard.access import web as access_web
from dashboard.data import portal as portal_queries
from dashboard.data.database import Database, NoWarehouse
from dashboard.exports.csv import csv_chunks
from dashboard.exports.formats import MEDIA_TYPES
from dashboard.exports.issues import ROW_NUMBER_NOTE, xlsx_bytes
from dashboard.submitting import worker
from dashboard.submitting.service import Portal

EXTENSION_KEY = "mcred.submitting"
REPORT_COLUMNS = ["severity", "row", "column", "value", "expected", "message", "rule"]

drafts = Blueprint("drafts", __name__, url_prefix="/export/drafts")


def install(server: Flask, db_path: Path, database: Database, max_upload_mb: int, edit_threshold: float) -> Portal:
    def loaded_as(draft_id: int) -> int | None:
        try:
            return portal_queries.loaded_draft(database.reader(), draft_id)
        except NoWarehouse:
            return None

    portal = Portal(db_path, max_upload_mb=max_upload_mb, edit_threshold=edit_threshold, loaded_as=loaded_as)
    server.extensions[EXTENSION_KEY] = portal
    server.register_blueprint(drafts)
    return portal


def portal() -> Portal:
    return current_app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]


def _attachment(name: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


def report_table(draft: Any) -> pa.Table:
    issues = [i for s in draft.submissions for i in (s.get("issues") or [])]
    columns = {c: [i.get(c) for i in issues] for c in REPORT_COLUMNS}
    return pa.table(
        {c: pa.array(v, type=pa.int64() if c == "row" else pa.string()) for c, v in columns.items()},
    )


def report_name(draft: Any, ext: str) -> str:
    stem = worker.safe_file_name(draft.file_name).rsplit(".", 1)[0].replace(" ", "_")
    return f"draft-{draft.draft_id}-{stem}-check.{ext}"


@drafts.get("/<int:draft_id>/report.csv")
def report_csv(draft_id: int) -> Response:
    draft = portal().visible(access_web.current_actor().scope, draft_id)
    table = report_table(draft)
    return Response(
        b"".join(csv_chunks(table.to_batches(), REPORT_COLUMNS)),
        content_type=MEDIA_TYPES["csv"],
        headers=_attachment(report_name(draft, "csv")),
    )


@drafts.get("/<int:draft_id>/report.xlsx")
def report_xlsx(draft_id: int) -> Response:
    draft = portal().visible(access_web.current_actor().scope, draft_id)
    about = [
        ("draft", draft.draft_id),
        ("file", draft.file_name),
        ("sha256", draft.sha256),
        ("uploaded", f"{draft.uploaded_at} by {draft.uploaded_by}"),
        ("errors", draft.errors),
        ("warnings", draft.warnings),
        ("row numbers", ROW_NUMBER_NOTE),
        ("generated at", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
    ]
    body = xlsx_bytes(report_table(draft).to_batches(), REPORT_COLUMNS, about)
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
