"""Downloads of the current offerings (CSV, XLSX, Parquet) and of each overview chart's data.

One function, ``export_to_file``, writes an export for the Flask routes and for
``mcred export`` alike; the rows come from ``explore_queries.export_sql``, so the
explorer grid, the endpoints and the command line apply the filters identically.

Spreadsheet safety: in CSV a text cell starting with ``= + - @``, a tab or a carriage
return gets a leading ``'`` (done in SQL; the loader drops it again, so a CSV export
is itself a valid submission file); in XLSX every text cell is written as a string,
never as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pa_csv

from dashboard.cell_safety import guard_text
from dashboard.data import explore as explore_queries
from dashboard.data import overview as queries
from dashboard.data.database import Database
from dashboard.data.filters import FilterError, Filters, Vocabulary
from dashboard.exports.xlsx import write_xlsx

FORMATS = ("csv", "xlsx", "parquet")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
BOM = "\ufeff".encode()
XLSX_MAX_ROWS = 1_048_575  # a worksheet holds 1,048,576 rows, one of them the header
SEARCH_PARAM = "q"
CSV_BATCH_ROWS = 16_384  # about 7 MB of CSV per chunk: small enough to keep the server's memory flat
XLSX_BATCH_ROWS = 10_000  # rows become Python objects one batch at a time: keep the batch small


class ExportError(ValueError):
    """An export that cannot be made as asked (the message says why and what to do)."""


# --- what is exported -------------------------------------------------------------------


def parse_filters(query: Mapping, vocabulary: Vocabulary) -> tuple[Filters, str | None]:
    """(filters, title search) from a URL query or the CLI's options; unknown values raise FilterError."""
    filters, _ = Filters.parse(query, vocabulary, strict=True)
    raw = query.get(SEARCH_PARAM)
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else None
    return filters, (raw or "").strip() or None


def file_name(filters: Filters, fmt: str, today: dt.date | None = None, search: str | None = None) -> str:
    """A descriptive download name, e.g. ``mcred-offerings-2024-25-college-20261128.csv``."""
    parts = ["mcred-offerings"]
    parts.append("-".join(p.replace("/", "-") for p in filters.period[:3]) if filters.period else "all-periods")
    for name, values in filters.active():
        if name != "period":
            parts.append("-".join(values[:3]) + ("-more" if len(values) > 3 else ""))
    if search:
        parts.append("search-" + search)
    stem = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower().replace("_", "-")).strip("-")
    stem = re.sub(r"-{2,}", "-", stem)[:120].rstrip("-")
    return f"{stem}-{(today or dt.date.today()).strftime('%Y%m%d')}.{fmt}"


def about(db: Database, filters: Filters, vocabulary: Vocabulary, rows: int, search: str | None = None) -> dict:
    """What an export holds: filters, row count, data version, generation time (XLSX sheet, Parquet metadata)."""
    version = queries.data_version(db)
    described = filters.describe(vocabulary)
    if search:
        described += f"; title contains: {search}"
    return {
        "filters": described,
        "query": filters.to_search({SEARCH_PARAM: search or ""}).lstrip("?") or "(none: latest fiscal year)",
        "rows": str(rows),
        "data_version": str(version["version"]),
        "data_published_at": str(version["published_at"]),
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "source": "mcred current_offerings view (the latest accepted submission per institution and period)",
    }


# --- writers ------------------------------------------------------------------------------


def csv_chunks(db: Database, filters: Filters, search: str | None = None) -> Iterator[bytes]:
    """The CSV export as a stream of byte chunks (one per Arrow batch), UTF-8 with a BOM for Excel."""
    for chunk, _rows in _csv_batches(db, filters, search):
        yield chunk


def _csv_batches(db: Database, filters: Filters, search: str | None) -> Iterator[tuple[bytes, int]]:
    sql, params = explore_queries.export_sql(filters, search, guard_formulas=True)
    yield BOM, 0
    header = True
    for batch in db.arrow_batches(sql, params, batch_rows=CSV_BATCH_ROWS):
        buf = io.BytesIO()
        pa_csv.write_csv(batch, buf, pa_csv.WriteOptions(include_header=header))
        header = False
        yield buf.getvalue(), batch.num_rows
    if header:  # no rows: still a header line
        yield (",".join(f'"{c}"' for c in explore_queries.EXPORT_COLUMNS) + "\n").encode(), 0


def _write_xlsx(db: Database, filters: Filters, vocabulary: Vocabulary, search: str | None, target: BinaryIO) -> int:
    sql, params = explore_queries.export_sql(filters, search)
    return write_xlsx(target, "offerings", list(explore_queries.EXPORT_COLUMNS),
                      db.arrow_batches(sql, params, batch_rows=XLSX_BATCH_ROWS),
                      lambda rows: about(db, filters, vocabulary, rows, search).items())


def _write_parquet(db: Database, filters: Filters, vocabulary: Vocabulary, search: str | None,
                   target: BinaryIO) -> int:
    import pyarrow.parquet as pq

    sql, params = explore_queries.export_sql(filters, search)
    rows = 0
    writer = None
    try:
        for batch in db.arrow_batches(sql, params):
            if writer is None:
                writer = pq.ParquetWriter(target, batch.schema, compression="zstd")
            writer.write_batch(batch)
            rows += batch.num_rows
        if writer is None:  # no rows: the schema from an empty result
            empty = db.frame(f"SELECT * FROM ({sql}) LIMIT 0", params)
            writer = pq.ParquetWriter(target, pa.Schema.from_pandas(empty, preserve_index=False),
                                      compression="zstd")
        writer.add_key_value_metadata(about(db, filters, vocabulary, rows, search))
    finally:
        if writer is not None:
            writer.close()
    return rows


def export_to_file(db: Database | Path | str, filters: Filters, fmt: str, stream: BinaryIO,
                   search: str | None = None) -> int:
    """Write the offerings matching ``filters`` (and the title search) to ``stream`` as csv, xlsx or
    parquet; returns the number of rows. The endpoints and ``mcred export`` both call this."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: formats are {', '.join(FORMATS)}")
    db = db if isinstance(db, Database) else Database(Path(db))
    vocabulary = queries.vocabulary(db)
    if fmt == "csv":
        rows = 0
        for chunk, n in _csv_batches(db, filters, search):
            stream.write(chunk)
            rows += n
        return rows
    if fmt == "xlsx":
        total = explore_queries.count(db, filters, search)
        if total > XLSX_MAX_ROWS:
            raise ExportError(f"{total:,} rows do not fit in an Excel worksheet ({XLSX_MAX_ROWS:,} at most): "
                              "narrow the filters, or export csv or parquet")
    writer = _write_xlsx if fmt == "xlsx" else _write_parquet
    if _seekable(stream):
        return writer(db, filters, vocabulary, search, stream)
    # zip and Parquet footers want a seekable file: build it aside, then copy (e.g. to a pipe).
    with tempfile.TemporaryFile() as tmp:
        rows = writer(db, filters, vocabulary, search, tmp)
        tmp.seek(0)
        shutil.copyfileobj(tmp, stream, 1 << 20)
    return rows


def _seekable(stream) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, ValueError, OSError):
        return False


# --- chart data ---------------------------------------------------------------------------

# overview chart id -> (breakdowns key or "trend", code list for labels)
CHARTS = {
    "chart-type": ("type", "type"),
    "chart-delivery": ("delivery", "delivery"),
    "chart-credit": ("credit", "credit"),
    "chart-partner": ("partner", "partner"),
    "chart-field": ("field", "field"),
    "chart-ce-sector": ("sector_ce", "sector"),
    "chart-trend": ("trend", None),
}


def chart_rows(db: Database, chart: str, filters: Filters, measure: str, split: str = "none") -> list[dict]:
    """The data behind one overview chart, as rows of a small table, in the chart's category order.

    ``share`` is the chart's percentage: the category's share of the measure's total
    (for partner categories, of all offerings, as the chart's note says).
    """
    if chart not in CHARTS:
        raise ExportError(f"unknown chart {chart!r}: charts are {', '.join(CHARTS)}")
    if measure not in queries.MEASURES:
        raise ExportError(f"unknown measure {measure!r}: measures are {', '.join(queries.MEASURES)}")
    vocab = queries.vocabulary(db)
    key, list_name = CHARTS[chart]
    if key == "trend":
        if split not in ("none", *queries.DIMENSIONS):
            raise ExportError(f"unknown split {split!r}: splits are none, {', '.join(queries.DIMENSIONS)}")
        frame = queries.trend(db, filters, split, measure)
        labels = dict(vocab.values.get(split, ())) if split != "none" else {}
        return [{"reporting_period": r.reporting_period, "split": split, "category": r.category,
                 "label": labels.get(r.category, "All offerings" if r.category == "all" else r.category),
                 "offerings": int(r.offerings), "enrolments": int(r.enrolments)}
                for r in frame.itertuples()]
    data = queries.breakdowns(db, filters)
    frame = data[key]
    total = int(data["type"][measure].sum())  # every offering has exactly one type
    labels = dict(vocab.values.get(list_name, ()))
    labels[queries.NOT_REPORTED] = "Not reported"
    order = {code: i for i, code in enumerate([*vocab.codes(list_name), queries.NOT_REPORTED])}
    if key == "sector_ce":
        per_sector = frame.groupby("category")[measure].sum().to_dict()
        rows = [{"sector": r.category, "label": labels.get(r.category, r.category),
                 "continuing_education": r.ce, "offerings": int(r.offerings), "enrolments": int(r.enrolments),
                 "share_of_sector": _share(getattr(r, measure), per_sector.get(r.category, 0))}
                for r in frame.itertuples()]
        return sorted(rows, key=lambda r: (order.get(r["sector"], len(order)), r["continuing_education"]))
    rows = [{"category": r.category, "label": labels.get(r.category, r.category), "offerings": int(r.offerings),
             "enrolments": int(r.enrolments), "share": _share(getattr(r, measure), total)}
            for r in frame.itertuples()]
    return sorted(rows, key=lambda r: (order.get(r["category"], len(order)), r["category"]))


def _share(part, whole) -> float | None:
    return round(float(part) / whole, 6) if whole else None


def chart_csv(rows: list[dict], columns: list[str] | None = None) -> bytes:
    """A small CSV (UTF-8 with BOM) with text cells guarded against formulas."""
    buf = io.StringIO()
    columns = columns or (list(rows[0]) if rows else ["category", "label", "offerings", "enrolments", "share"])
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: guard_text(v) if isinstance(v, str) else v for k, v in row.items()})
    return BOM + buf.getvalue().encode()


# --- Flask routes -------------------------------------------------------------------------


def register_routes(server) -> None:
    """``GET /export/offerings.{csv,xlsx,parquet}`` and ``GET /export/chart/<chart>.csv``."""
    from flask import Response, current_app, request, send_file, stream_with_context

    from dashboard import context
    from dashboard.data.database import NoWarehouse

    def _problem(status: int, message: str, problems: list[str] | None = None) -> Response:
        text = message + ("".join(f"\n- {p}" for p in problems) if problems else "") + "\n"
        return Response(text, status=status, mimetype="text/plain")

    def _parse(db: Database):
        vocab = queries.vocabulary(db)
        return (*parse_filters(request.args.to_dict(flat=False), vocab), vocab)

    @server.route("/export/offerings.<fmt>")
    def export_offerings(fmt: str):
        if fmt not in FORMATS:
            return _problem(404, f"No such export: formats are {', '.join(FORMATS)}.")
        try:
            db = context.db()
            filters, search, _vocab = _parse(db)
        except FilterError as exc:
            return _problem(400, "Unknown filter values:", exc.problems)
        except NoWarehouse as exc:
            return _problem(503, str(exc))
        name = file_name(filters, fmt, search=search)
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
                   "X-Content-Type-Options": "nosniff"}
        if fmt == "csv":
            return Response(stream_with_context(csv_chunks(db, filters, search)), content_type=MEDIA_TYPES["csv"],
                            headers=headers)
        tmp = tempfile.TemporaryFile()
        try:
            export_to_file(db, filters, fmt, tmp, search)
        except ExportError as exc:
            tmp.close()
            return _problem(413 if "do not fit" in str(exc) else 400, str(exc))
        except BaseException:
            tmp.close()
            raise
        tmp.seek(0)
        current_app.logger.info("export %s", name)
        response = send_file(tmp, mimetype=MEDIA_TYPES[fmt], as_attachment=True, download_name=name,
                             max_age=0)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @server.route("/export/chart/<chart>.csv")
    def export_chart(chart: str):
        try:
            db = context.db()
            filters, _search, _vocab = _parse(db)
            measure = request.args.get("measure") or "offerings"
            split = request.args.get("split") or "none"
            rows = chart_rows(db, chart, filters, measure, split)
        except FilterError as exc:
            return _problem(400, "Unknown filter values:", exc.problems)
        except ExportError as exc:
            return _problem(404 if "unknown chart" in str(exc) else 400, str(exc))
        except NoWarehouse as exc:
            return _problem(503, str(exc))
        named = filters.with_values(period=()) if chart == "chart-trend" else filters  # the trend spans all years
        stem = file_name(named, "csv").replace("mcred-offerings", f"mcred-{chart}-{measure}", 1)
        return Response(chart_csv(rows), content_type=MEDIA_TYPES["csv"],
                        headers={"Content-Disposition": f'attachment; filename="{stem}"',
                                 "Cache-Control": "no-store"})
