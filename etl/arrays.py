"""Arrow arrays and scalars from Python values, built from their buffers.

``pa.array``, ``pa.scalar`` and every compute function given a Python value first ask
whether the value is a pandas object, and pyarrow answers the first such question by
importing pandas: 0.45 s of CPU in a ``mcred load`` that never uses pandas. The loader's
small tables (submissions, issues, a coded column's distinct values) and its constants are
built here instead, with the types and null handling of ``pa.array``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_EPOCH_DAY = datetime.date(1970, 1, 1)
_NUMPY_TYPES = {
    pa.int8(): np.int8,
    pa.int16(): np.int16,
    pa.int32(): np.int32,
    pa.int64(): np.int64,
    pa.float64(): np.float64,
}


def array(values: Iterable[Any], type: pa.DataType) -> pa.Array:
    """``pa.array(values, type=type)`` for strings, booleans, integers, doubles, dates,
    microsecond timestamps (a naive one read as UTC, as pyarrow does) and lists of strings."""
    items = list(values)
    n = len(items)
    valid = np.fromiter((v is not None for v in items), dtype=bool, count=n)
    nulls = n - int(valid.sum())
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    if pa.types.is_list(type):
        flat = [item for v in items if v is not None for item in v]
        offsets = _offsets(0 if v is None else len(v) for v in items)
        mask = from_numpy(~valid) if nulls else None
        return pa.ListArray.from_arrays(from_numpy(offsets), array(flat, type.value_type), type=type, mask=mask)
    if type == pa.string():
        encoded = [b"" if v is None else v.encode() for v in items]
        offsets = _offsets(len(e) for e in encoded)
        return pa.Array.from_buffers(
            type, n, [bitmap, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))], null_count=nulls
        )
    if type == pa.bool_():
        bits = np.fromiter((bool(v) for v in items), dtype=bool, count=n)
        return pa.Array.from_buffers(type, n, [bitmap, pa.py_buffer(np.packbits(bits, bitorder="little"))], nulls)
    if pa.types.is_timestamp(type) and type.unit == "us":
        numbers: list[Any] = [0 if v is None else _microseconds(v) for v in items]
        data = np.array(numbers, dtype=np.int64)
    elif type == pa.date32():
        data = np.array([0 if v is None else (v - _EPOCH_DAY).days for v in items], dtype=np.int32)
    elif type in _NUMPY_TYPES:
        data = np.array([0 if v is None else v for v in items], dtype=_NUMPY_TYPES[type])
    else:
        raise TypeError(f"no buffer layout for {type}")
    return pa.Array.from_buffers(type, n, [bitmap, pa.py_buffer(data)], null_count=nulls)


def scalar(value: Any, type: pa.DataType) -> pa.Scalar:
    """``pa.scalar(value, type=type)`` for the types :func:`array` builds (a null of any type)."""
    return pa.nulls(1, type)[0] if value is None else array([value], type)[0]


def from_numpy(values: np.ndarray) -> pa.Array:
    """``pa.array`` of a one-dimensional numpy array of numbers or booleans (no nulls)."""
    if values.dtype == np.bool_:
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, data], null_count=0)
    contiguous = np.ascontiguousarray(values)
    return pa.Array.from_buffers(
        pa.from_numpy_dtype(contiguous.dtype), len(contiguous), [None, pa.py_buffer(contiguous)]
    )


def to_numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """``values.to_numpy()`` of numbers or booleans without nulls, read from the buffers (a
    view where it can be): pyarrow's own conversion imports pandas."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if values.null_count:
        raise ValueError("to_numpy: the values have nulls")
    data = values.buffers()[1]
    if data is None:  # no values
        return np.zeros(0, dtype=bool if values.type == pa.bool_() else _NUMPY_TYPES[values.type])
    if values.type == pa.bool_():
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), count=values.offset + len(values), bitorder="little")
        return bits[values.offset :].astype(bool)
    dtype = np.dtype(_NUMPY_TYPES[values.type])
    return np.frombuffer(data, dtype=dtype, count=len(values), offset=values.offset * dtype.itemsize)


def _offsets(lengths: Iterable[int]) -> np.ndarray:
    sizes = np.fromiter(lengths, dtype=np.int64)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int32)
    np.cumsum(sizes, out=offsets[1:], dtype=np.int32)
    return offsets


def _microseconds(moment: datetime.datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)
    return (aware - _EPOCH) // datetime.timedelta(microseconds=1)
