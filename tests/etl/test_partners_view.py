"""current_offering_partners unnests offering.partner_categories (migration 007): a warehouse
written before it, whose offering_partner table held the same rows a second time, keeps the
view's rows when the migration drops that table."""

from __future__ import annotations

import duckdb

from etl.config import SAMPLE_DIR
from etl.load import load_files
from etl.warehouse import apply_migrations, read_only

PARTNERS = "SELECT submission_id, offering_id, partner_category FROM current_offering_partners ORDER BY ALL"


def test_the_partner_view_lists_each_current_offering_s_categories(settings):
    load_files(sorted(SAMPLE_DIR.glob("2024_*.csv")), settings)
    with read_only(settings.db_path) as con:
        listed = con.execute(PARTNERS).fetchall()
        expected = sorted(
            (sid, oid, category)
            for sid, oid, categories in con.execute(
                "SELECT submission_id, offering_id, partner_categories FROM current_offerings"
            ).fetchall()
            for category in categories
        )
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert listed == expected
    assert len({(sid, oid) for sid, oid, _ in listed}) < len(listed)  # some offering has several categories
    assert "offering_partner" not in tables


def test_migration_007_keeps_the_rows_of_a_warehouse_written_before_it(settings, tmp_path):
    load_files(sorted(SAMPLE_DIR.glob("2023_*.csv")), settings)
    with read_only(settings.db_path) as con:
        now = con.execute(PARTNERS).fetchall()

    # The same warehouse as migration 006 left it: offering_partner filled as the loader then did.
    old = duckdb.connect(str(tmp_path / "before_007.duckdb"))
    assert apply_migrations(old, up_to=6) == [1, 2, 3, 4, 5, 6]
    old.execute(f"ATTACH '{settings.db_path}' AS new (READ_ONLY)")
    for table in ("institution", "submission", "offering"):
        old.execute(f"INSERT INTO {table} SELECT * FROM new.{table}")
    old.execute(
        "INSERT INTO offering_partner SELECT submission_id, offering_id, unnest(partner_categories) FROM offering"
    )
    old.execute("DETACH new")
    before = old.execute(PARTNERS).fetchall()

    assert apply_migrations(old) == [7]
    assert old.execute(PARTNERS).fetchall() == before == now
    assert old.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'offering_partner'").fetchone() == (0,)
    assert before
