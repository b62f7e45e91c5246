"""The warehouse is written in an older DuckDB storage format (etl.warehouse.DEFAULT_STORAGE_VERSION)
so analysts' DuckDB 1.4 clients open it: a real DuckDB 1.4 process, in a virtualenv of its own,
opens the loaded sample read-only and queries every documented view."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from virtualenvs import ROOT, cached, run

from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from etl.warehouse import DEFAULT_STORAGE_VERSION, WarehouseError, Writer, read_only, storage_version

# The views README.md documents for analysts.
VIEWS = ("current_offerings", "current_offering_partners", "submissions", "current_submissions",
         "validation_issues", "reporting_status", "reporting_deadlines", "institutions", "codes", "targets",
         "metrics")

# Kept between runs (gitignored); made by the first run on a clean checkout.
DUCKDB14_ENV = ROOT / ".venv-duckdb14"
READ_VIEWS = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
out = {"version": duckdb.__version__, "views": {}}
for view in sys.argv[2:]:
    cur = con.execute(f"SELECT * FROM {view}")
    rows = cur.fetchall()
    out["views"][view] = {"columns": [d[0] for d in cur.description], "rows": len(rows)}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def duckdb14():
    # pytz: DuckDB 1.4's Python client needs it to fetch TIMESTAMP WITH TIME ZONE values.
    return cached(DUCKDB14_ENV, ["duckdb>=1.4,<1.5", "pytz"],
                  "import duckdb, pytz; assert duckdb.__version__.startswith('1.4.')")


def _views(con) -> dict:
    out = {}
    for view in VIEWS:
        cur = con.execute(f"SELECT * FROM {view}")
        out[view] = {"columns": [d[0] for d in cur.description], "rows": len(cur.fetchall())}
    return out


def _file_version(path) -> str:
    con = duckdb.connect()
    try:
        return storage_version(con, path)
    finally:
        con.close()


@pytest.mark.slow
def test_a_duckdb_14_client_reads_every_view_of_the_loaded_sample(duckdb14, settings):
    load_files([DEFAULT_DATA_DIR / "sample"], settings)
    assert _file_version(settings.db_path) == DEFAULT_STORAGE_VERSION + "+"
    with read_only(settings.db_path) as con:
        expected = _views(con)
    result = run(duckdb14, "-c", READ_VIEWS, str(settings.db_path), *VIEWS)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["version"].startswith("1.4.")
    assert got["views"] == expected
    assert all(expected[v]["rows"] > 0 for v in VIEWS)


def test_a_warehouse_in_a_newer_format_is_rewritten_by_the_next_load(tmp_path):
    from submission_files import csv_file, offering_row

    newer = Settings(db_path=tmp_path / "warehouse.duckdb", data_dir=DEFAULT_DATA_DIR, storage_version="v2.0.0")
    load_files([csv_file(tmp_path, "a.csv", [offering_row(oid="A1")])], newer)
    assert _file_version(newer.db_path) == "v2.0.0+"
    older = Settings(db_path=newer.db_path, data_dir=DEFAULT_DATA_DIR)
    load_files([csv_file(tmp_path, "b.csv", [offering_row(inst="SFU", oid="B1")])], older)
    assert _file_version(older.db_path) == DEFAULT_STORAGE_VERSION + "+"
    with read_only(older.db_path) as con:
        # Everything came across, and the submission ids go on from where they were.
        assert con.execute("SELECT institution_code, submission_id FROM current_offerings ORDER BY 2").fetchall() \
            == [("BCIT", 1), ("SFU", 2)]
    # A later load in the same format copies the file as it is.
    shutil.copy(older.db_path, tmp_path / "before.duckdb")
    load_files([csv_file(tmp_path, "c.csv", [offering_row(inst="UBC", oid="C1")])], older)
    assert _file_version(older.db_path) == DEFAULT_STORAGE_VERSION + "+"


def test_a_storage_version_duckdb_does_not_name_is_refused(tmp_path):
    with pytest.raises(WarehouseError, match="MCRED_STORAGE_VERSION"):
        Writer(tmp_path / "w.duckdb", storage_version="1.4")
