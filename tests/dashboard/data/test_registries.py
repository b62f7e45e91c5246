"""The dimension and metric registries, the one cache and the Reader."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import pytest

from dashboard.data import metrics
from dashboard.data.cache import VersionedCache
from dashboard.data.columns import EXPORT_COLUMNS, GRID_COLUMNS, SUBMISSION_COLUMNS, SUBMISSION_FILE_COLUMNS
from dashboard.data.database import Database
from dashboard.data.dimensions import DIMENSIONS, PARAMETERS
from dashboard.data.filters import Filters
from etl.spec import COLUMN_NAMES


def test_the_registry_imports_without_dash_flask_or_duckdb():
    code = (
        "import sys, dashboard.data.dimensions; "
        "print(sorted(m for m in ('dash', 'flask', 'duckdb', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_dimension_is_a_filter_and_an_option_of_mcred_export():
    assert PARAMETERS == tuple(d.param for d in DIMENSIONS)
    assert all(Filters().get(p) == () for p in PARAMETERS)
    with pytest.raises(TypeError, match="unknown filter parameters"):
        Filters(colour=("red",))
    from mcred.cli import build_parser

    export = build_parser()._subparsers._group_actions[0].choices["export"]  # noqa: SLF001
    options = {a.dest for a in export._actions}  # noqa: SLF001
    assert set(PARAMETERS) <= options


def test_the_column_registry_names_the_submission_format_and_the_warehouse_columns(db_path):
    # The dashboard may not import etl: its registry says which columns are the format's, held here to the spec.
    assert SUBMISSION_COLUMNS == COLUMN_NAMES
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        offerings = [row[0] for row in con.execute("DESCRIBE current_offerings").fetchall()]
        submissions = {row[0] for row in con.execute("DESCRIBE submissions").fetchall()}
    finally:
        con.close()
    assert offerings[: len(EXPORT_COLUMNS)] == list(EXPORT_COLUMNS)  # an export's columns lead the view, in order
    assert set(SUBMISSION_FILE_COLUMNS) <= submissions
    assert set(GRID_COLUMNS) == set(EXPORT_COLUMNS) | set(SUBMISSION_FILE_COLUMNS)


def test_filters_are_values():
    a, b = Filters(sector=("college",)), Filters(sector=("college",), explicit_period=True)
    assert a == b and hash(a) == hash(b) and a != Filters()
    assert a.sector == ("college",) and a.with_values(type=["pathway"]).type == ("pathway",)
    with pytest.raises(AttributeError):
        a.colour  # noqa: B018
    with pytest.raises(AttributeError):
        a.sector = ()


def test_metrics_come_from_the_warehouse(db):
    found = metrics.metrics(db)
    by_name = {m.name: m for m in found}
    assert by_name["duration_compliance"].column == "under_duration" and by_name["duration_compliance"].framework
    assert by_name["completion_rate"].column is None and by_name["completion_rate"].basis == "enrolments"
    assert metrics.framework_rules(db) == "under 288 hours, assessed, partner-aligned"


def test_a_metric_naming_an_unknown_column_is_refused(db_path, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db_path, copy)
    con = duckdb.connect(str(copy))
    con.execute(
        "CREATE OR REPLACE VIEW metrics AS SELECT 'sneaky' AS metric, 'x' AS label, 'x' AS description, "
        "false AS framework, 'title; DROP TABLE offering' AS column_name, 'offerings' AS basis, "
        "1 AS sort_order"
    )
    con.close()
    with pytest.raises(ValueError, match="current_offerings does not have"):
        metrics.metrics(Database(copy).reader())


def test_the_cache_keeps_one_version():
    cache, calls = VersionedCache(max_entries=2), []

    def compute(value):
        calls.append(value)
        return value

    assert cache.get("v1", "a", lambda: compute(1)) == 1
    assert cache.get("v1", "a", lambda: compute(99)) == 1  # cached
    assert cache.get("v2", "a", lambda: compute(2)) == 2  # a new version: computed again
    cache.get("v2", "b", lambda: compute(3))
    cache.get("v2", "c", lambda: compute(4))
    assert len(cache) == 2 and calls == [1, 2, 3, 4]  # the least recently used went


def test_a_reader_keeps_the_version_it_saw_first(db_path):
    database = Database(db_path)
    reader = database.reader()
    assert reader.version == database.version
    assert reader.cached("x", 1, lambda: "first") == reader.cached("x", 1, lambda: "second") == "first"
    assert database.reader().cached("x", 1, lambda: "third") == "first"  # same warehouse version


def test_the_cache_can_forget_some_queries_only():
    cache = VersionedCache()
    for name in ("vocabulary", "institution_profile", "trend_counts"):
        cache.get("v1", (name, None), lambda name=name: name)
    cache.clear(["institution_profile", "trend_counts"])
    assert len(cache) == 1 and cache.get("v1", ("vocabulary", None), lambda: "again") == "vocabulary"
