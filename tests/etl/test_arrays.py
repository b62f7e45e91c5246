"""etl.arrays builds what pa.array and pa.scalar build, and a CSV load does not import pandas
(pyarrow imports it at the first Python value it is given)."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest
from submission_files import csv_file, offering_row

from etl.arrays import array, from_numpy, scalar, to_numpy

UTC = datetime.timezone.utc
PACIFIC = datetime.timezone(datetime.timedelta(hours=-8))


@pytest.mark.parametrize(
    ("values", "type_"),
    [
        (["a", None, "é", ""], pa.string()),
        ([], pa.string()),
        ([None], pa.string()),
        ([True, None, False], pa.bool_()),
        ([1, None, 3], pa.int32()),
        (range(4), pa.int32()),
        ([2**40, -1], pa.int64()),
        ([1.5, None, 0.0], pa.float64()),
        ([datetime.date(1, 1, 1), None, datetime.date(2024, 2, 29)], pa.date32()),
        (
            # a naive moment is read as UTC, as pyarrow reads it
            [datetime.datetime(2024, 1, 1, 12), datetime.datetime(2024, 1, 1, tzinfo=PACIFIC), None],
            pa.timestamp("us", tz="UTC"),
        ),
        ([["employer_industry", "community"], None, []], pa.list_(pa.string())),
    ],
)
def test_array_is_what_pa_array_builds(values, type_):
    built = array(values, type_)
    built.validate(full=True)
    assert built.equals(pa.array(list(values), type=type_))


def test_scalars_and_numpy_round_trips():
    assert scalar(None, pa.timestamp("s")).equals(pa.scalar(None, pa.timestamp("s")))
    assert scalar("", pa.string()).equals(pa.scalar("", pa.string()))
    assert scalar(7, pa.int32()).equals(pa.scalar(7, pa.int32()))
    numbers = np.arange(5, dtype=np.int64)
    assert from_numpy(numbers).equals(pa.array(numbers))
    assert from_numpy(np.array([True, False, True])).equals(pa.array([True, False, True]))
    sliced = pa.chunked_array([pa.array([1, 2, 3], pa.int32()).slice(1), pa.array([4], pa.int32())])
    assert to_numpy(sliced).tolist() == [2, 3, 4]
    assert to_numpy(pa.array([True, False, True, True]).slice(1)).tolist() == [False, True, True]
    with pytest.raises(ValueError, match="nulls"):
        to_numpy(pa.array([1, None]))


def test_a_csv_load_does_not_import_pandas(tmp_path):
    path = csv_file(tmp_path, "one.csv", [offering_row(oid="A1"), offering_row(oid="A1", title="Again")])
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from etl.config import settings
        from etl.load import load_files
        [outcome] = load_files([Path({str(path)!r})], settings(Path({str(tmp_path / "wh.duckdb")!r})))
        assert outcome.status == "rejected", outcome  # its issues were built and stored too
        print("pandas" in sys.modules)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
