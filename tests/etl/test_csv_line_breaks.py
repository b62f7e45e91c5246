"""The fast CSV reader reads a file as the csv module does, wherever its cells hold line breaks.

Random files with line breaks (\\n, \\r\\n, a lone \\r) inside quoted cells, of the data and of
the title rows above the header, read with blocks small enough that pyarrow's cuts fall
everywhere: the result must be the csv module's (the tolerant reader), cell for cell.

One thing pyarrow does not get right, and that is left out here: a block boundary falling
between the \\r and the \\n of a quoted \\r\\n keeps the \\r only (pyarrow 26, checked with
pyarrow alone). Blocks are 8 MB (etl.readers.CSV_BLOCK_BYTES), so a file meets at most one
boundary per 8 MB, and only a cell's line break, not a row, is changed; so \\r\\n in cells
is tried with one block per file."""

from __future__ import annotations

import random

import pytest

from etl import readers, spec

ENDINGS = ("\n", "\r\n", "\r")


def quoted(cell: str) -> str:
    """A cell as spreadsheet programs write it: quoted when it holds a comma, a quote or a line break."""
    if any(ch in cell for ch in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def random_file(
    rng: random.Random, breaks_in_cells: float, in_cells: tuple[str, ...], break_above: bool
) -> tuple[str, int]:
    """(the file's text, the index of its header record)."""
    ending = rng.choice(ENDINGS)
    width = rng.randint(4, 7)
    pieces = ["plain", "two words", "a, b", 'say "hi"', "", "é ü", "x" * rng.randint(1, 40)]
    preamble = [["Report"], ["Prepared by IR"]][: rng.randint(0, 2)] or ([["Report"]] if break_above else [])
    if break_above:
        preamble[0][0] += rng.choice(ENDINGS) + "of the year"
    rows = [*preamble, list(spec.COLUMN_NAMES[:width])]  # a header the reader recognises
    for n in range(rng.randint(50, 1500)):
        row = [str(n)]
        for _ in range(width - 1):
            cell = rng.choice(pieces)
            if rng.random() < breaks_in_cells:
                cell += rng.choice(in_cells) + rng.choice(pieces)
            row.append(cell)
        rows.append(row)
    return "".join(",".join(map(quoted, row)) + ending for row in rows), len(preamble)


@pytest.mark.parametrize("seed", range(80))
def test_the_fast_reader_reads_what_the_csv_module_reads(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    block = rng.choice((512, 2048, 8192, 1 << 20))
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", block)
    in_cells = ENDINGS if block == 1 << 20 else ("\n", "\r")
    break_above = seed % 5 == 0
    text, header_index = random_file(rng, rng.choice((0.0, 0.002, 0.05, 0.3)), in_cells, break_above)
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("utf-8"))
    delimiter, found_index, header, _, lines_above = readers._find_csv_header(path)
    assert (delimiter, found_index, lines_above) == (",", header_index, header_index + 1 + break_above)
    fast = readers._parse_csv_fast(path, delimiter, len(header), lines_above)
    assert fast is not None  # no row has the wrong number of fields
    assert fast.to_pydict() == readers._parse_csv_tolerant(path, delimiter, found_index, len(header)).to_pydict()
