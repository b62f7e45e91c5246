"""The metric columns of current_offerings and the metrics view (migration 004): each rule of
etl.spec.METRICS materialised once, checked here against hand-made rows whose expected
flags are written out by hand (not computed from the spec's SQL)."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
from submission_files import HEADER, csv_file

from etl import spec, warehouse
from etl.load import load_files
from etl.warehouse import (
    WarehouseError,
    apply_migrations,
    migration_files,
    migration_fragments,
    read_only,
    render_migration,
)

LADDER_HEADER = HEADER + ",ladders_to_credential"

# offering_id, delivery, credit, credits, partners, ce, hours, assessment, ladders
ROWS = [
    ("R1", "online", "credit", "3", "employer_industry", "yes", "40", "yes", "yes"),
    ("R2", "onsite", "non_credit", "", "none", "no", "288", "no", ""),
    ("R3", "blended", "non_credit", "", "indigenous_community;community", "no", "287.5", "yes", "no"),
    ("R4", "onsite", "credit", "1", "government", "yes", "300", "yes", ""),
    ("R5", "online", "non_credit", "", "none", "no", "10", "yes", "yes"),
]

# What each row should show, worked out by hand from the framework's words.
EXPECTED = {
    #      under  assessed partner credit indig  online ladders compliant
    "R1": (True, True, True, True, False, True, True, True),
    "R2": (False, False, False, False, False, False, False, False),
    "R3": (True, True, True, False, True, True, False, True),
    "R4": (False, True, True, True, False, False, False, False),
    "R5": (True, True, False, False, False, True, True, False),
}
FLAG_COLUMNS = (
    "under_duration",
    "assessed",
    "partner_aligned",
    "credit_bearing",
    "indigenous_partner",
    "online_or_blended",
    "ladders",
    "compliant",
)


def _rows_csv(tmp_path):
    lines = [
        ",".join(
            [
                "BCIT",
                "2024/25",
                oid,
                f"Offering {oid}",
                "technical_skill",
                delivery,
                credit,
                credits,
                partners,
                ce,
                hours,
                assessment,
                "20",
                "10",
                ladders,
            ]
        )
        for oid, delivery, credit, credits, partners, ce, hours, assessment, ladders in ROWS
    ]
    # partner lists with ';' need no quoting in CSV
    return csv_file(tmp_path, "metrics.csv", lines, header=LADDER_HEADER)


def _flags(settings) -> dict[str, dict[str, object]]:
    with read_only(settings.db_path) as con:
        cur = con.execute(
            f"SELECT offering_id, continuing_education, over_duration, no_assessment, no_partner, "
            f"{', '.join(FLAG_COLUMNS)} FROM current_offerings ORDER BY offering_id"
        )
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names[1:], r[1:])) for r in cur.fetchall()}


def test_metric_columns_follow_the_rules_on_hand_made_rows(tmp_path, settings):
    outcomes = load_files([_rows_csv(tmp_path)], settings)
    assert [o.status for o in outcomes] == ["accepted"]
    got = _flags(settings)
    assert sorted(got) == sorted(EXPECTED)
    for oid, expected in EXPECTED.items():
        row = got[oid]
        assert tuple(row[c] for c in FLAG_COLUMNS) == expected, oid
        # The public breach columns are the negation of the framework rules.
        assert row["over_duration"] is (not row["under_duration"]), oid
        assert row["no_assessment"] is (not row["assessed"]), oid
        assert row["no_partner"] is (not row["partner_aligned"]), oid
    assert [got[oid]["continuing_education"] for oid in sorted(EXPECTED)] == [True, False, False, True, False]


def test_metric_columns_are_boolean_and_never_null(tmp_path, settings):
    load_files([_rows_csv(tmp_path)], settings)
    with read_only(settings.db_path) as con:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'current_offerings'"
            ).fetchall()
        )
        for column in (*FLAG_COLUMNS, "continuing_education", *spec.BREACH_COLUMNS):
            assert types[column] == "BOOLEAN", column
            nulls = con.execute(f"SELECT count(*) FROM current_offerings WHERE {column} IS NULL").fetchone()[0]
            assert nulls == 0, column


def test_metrics_view_lists_every_metric_in_display_order(tmp_path, settings):
    load_files([_rows_csv(tmp_path)], settings)
    with read_only(settings.db_path) as con:
        cur = con.execute("SELECT * FROM metrics")
        assert [d[0] for d in cur.description] == [
            "metric",
            "label",
            "description",
            "framework",
            "column_name",
            "basis",
            "sort_order",
        ]
        rows = cur.fetchall()
        offering_columns = {d[0] for d in con.execute("SELECT * FROM current_offerings LIMIT 0").description}
    assert [r[0] for r in rows] == [m.name for m in spec.METRICS]
    assert [r[6] for r in rows] == list(range(len(spec.METRICS)))
    by_name = {r[0]: r for r in rows}
    assert by_name["duration_compliance"][1:6] == (
        "Under 288 hours",
        "Share of offerings that run under 288 hours",
        True,
        "under_duration",
        "offerings",
    )
    assert by_name["ce_share"][4] == "continuing_education"
    assert by_name["completion_rate"][4:6] == (None, "enrolments")
    assert {r[0] for r in rows if r[3]} == {"duration_compliance", "assessment_share", "partner_alignment"}
    assert {r[4] for r in rows if r[4]} <= offering_columns


def test_a_warehouse_of_migration_003_is_upgraded_on_the_next_load(tmp_path, settings):
    # Build a warehouse as mcred wrote it before migration 004, with its reference rows.
    con = duckdb.connect(str(settings.db_path))
    assert apply_migrations(con, up_to=3) == [1, 2, 3]
    con.execute("INSERT INTO target_metric VALUES ('duration_compliance', 'Under 288 hours', 'x', true, 0)")
    con.close()
    load_files([_rows_csv(tmp_path)], settings)
    with read_only(settings.db_path) as con:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] >= 4
        assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == len(spec.METRICS)
    assert tuple(_flags(settings)["R4"][c] for c in FLAG_COLUMNS) == EXPECTED["R4"]


def test_an_unknown_placeholder_is_refused(tmp_path):
    bad = tmp_path / "009_bad.sql"
    bad.write_text("SELECT {{ nothing_like_this }};", encoding="utf-8")
    with pytest.raises(WarehouseError, match="nothing_like_this"):
        render_migration(bad)


def test_a_fragment_is_rendered_without_its_header_lines(tmp_path, monkeypatch):
    (tmp_path / "fragments").mkdir()
    fragment = "-- what it is\n-- which migrations use it\n    1 AS a,\n    2 AS b\n"
    (tmp_path / "fragments" / "two_columns.sql").write_text(fragment, encoding="utf-8")
    migration = tmp_path / "001_x.sql"
    migration.write_text("SELECT\n{{ two_columns }};\n", encoding="utf-8")
    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", tmp_path)
    assert render_migration(migration) == "SELECT\n    1 AS a,\n    2 AS b;\n"
    assert duckdb.connect(":memory:").execute(render_migration(migration)).fetchall() == [(1, 2)]


def test_the_released_fragments_are_not_edited():
    # Migrations 002, 005 and 006 render this one: a warehouse that applied them keeps what they made,
    # so a new warehouse must get the same (a changed column belongs in a new migration).
    released = {"submissions_002_columns": "9ff8aae474d33dfcd10b92dc2a4c20bf161931e3b7595a04619d716f8fd3401f"}
    rendered = migration_fragments()
    assert {name: hashlib.sha256(rendered[name].encode()).hexdigest() for name in released} == released


def test_migrations_apply_in_one_go_on_an_empty_database():
    con = duckdb.connect(":memory:")
    assert apply_migrations(con) == [v for v, _, _ in migration_files()]
    assert con.execute("SELECT count(*) FROM current_offerings").fetchone()[0] == 0
