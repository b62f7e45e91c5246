"""The one formula-safety rule, in its Python, SQL and Arrow forms, agrees with itself."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from dashboard.cell_safety import guard_sql, guard_text, neutralise_batch

CASES = ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx", "plain", "'quoted", "a=b", ""]
EXPECTED = ["'=SUM(A1)", "'+1", "'-2", "'@cmd", "'\tx", "'\rx", "plain", "'quoted", "a=b", ""]


def test_python_form():
    assert [guard_text(v) for v in CASES] == EXPECTED


def test_sql_form():
    con = duckdb.connect()
    got = [
        r[0]
        for r in con.execute(
            f"SELECT {guard_sql('v')} FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(v, n) ORDER BY n", [CASES]
        ).fetchall()
    ]
    assert got == EXPECTED


def test_arrow_form_leaves_other_types_alone():
    batch = pa.RecordBatch.from_arrays([pa.array(CASES), pa.array(range(len(CASES)))], names=["t", "n"])
    out = neutralise_batch(batch)
    assert out.column(0).to_pylist() == EXPECTED
    assert out.column(1).to_pylist() == list(range(len(CASES)))
