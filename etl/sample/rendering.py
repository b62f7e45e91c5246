"""Rendering: an institution's codes and numbers turned into the cells its files hold
(pyarrow, dictionary-encoded text), with the scenario's deliberate mistakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl import spec
from etl.sample.dialects import HEADER_SETS, PERIOD_FORMATS, VALUE_SETS, Dialect, ValueSet
from etl.sample.generation import Columns, completions_over_enrolments, end_before_start, fault_rows
from etl.sample.profiles import (
    ACCENTED_TOPICS,
    COMPETENCY_VOCAB,
    DELIVERY_MODES,
    FIELDS,
    FORMATS_PER_TOPIC,
    MC_TYPES,
    NOC_VOCAB,
    PARTNERS,
    RECOGNITIONS,
    TITLE_VOCAB,
    TOPIC_FIELD,
)
from etl.sample.scenario import DEFAULT_SEED, PlannedFile, entropy

# --- rendering: codes and numbers to the cells a house writes ------------------------------------


@dataclass
class Rendered:
    """One submission's cells as a file will hold them."""

    names: list[str]  # canonical column names ("" for a column the format does not know)
    headers: list[str]  # the header text the house writes
    columns: list[pa.Array]
    overrides: dict[str, dict[int, object]] = field(default_factory=dict)  # column -> row -> cell, for mistakes

    def with_overrides(self) -> list[pa.Array]:
        columns = list(self.columns)
        for name, cells in self.overrides.items():
            at = self.names.index(name)
            values = columns[at].to_pylist()
            for row, value in cells.items():
                values[row] = value
            columns[at] = pa.array(values)
        return columns


def period_text(year: int, style: str) -> str:
    return PERIOD_FORMATS[style].format(y=year, yy=(year + 1) % 100, y1=year + 1)


def _spell(indexes: np.ndarray, vocabulary: Sequence[str]) -> pa.DictionaryArray:
    """Indexes into a vocabulary as a text column; -1 becomes an empty cell.

    The column stays dictionary-encoded so that work per distinct value (CSV quoting)
    is done once per value, not once per cell.
    """
    indexes = np.asarray(indexes, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(indexes, mask=indexes < 0),
                                          pa.array(list(vocabulary), type=pa.string()))


def _repeat(value: str, n: int) -> pa.Array:
    return _spell(np.zeros(n, dtype=np.int32), [value])


def _number_text(values: np.ndarray, thousands: bool) -> pa.Array:
    """Numbers as text, whole numbers without decimals; "1,200" style when the house writes it so."""
    arr = pa.array(values, from_pandas=True)
    text = pc.cast(arr, pa.string())
    if not thousands:
        return text
    big = np.flatnonzero(np.nan_to_num(np.asarray(values, dtype=float), nan=0) >= 1000)
    if not len(big):
        return text
    cells = text.to_pylist()
    for i in big:
        v = float(values[i])
        cells[i] = f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    return pa.array(cells, type=pa.string())


def _titles_column(cols: Columns) -> pa.Array:
    """Titles, with " (Intake 2)"... appended to a title's further intakes."""
    titles = _spell(cols["topic"] * FORMATS_PER_TOPIC + cols["format"], TITLE_VOCAB)
    intake = cols["intake"]
    if not intake.any():
        return titles
    suffixes = [""] + [f" (Intake {k + 1})" for k in range(1, int(intake.max()) + 1)]
    return pc.binary_join_element_wise(titles.dictionary_decode(), _spell(intake, suffixes).dictionary_decode(), "")


def partner_vocabulary(values: ValueSet) -> list[str]:
    """Partner mask -> the cell text, for all 64 masks."""
    out = []
    for mask in range(1 << len(PARTNERS)):
        codes = [p for bit, p in enumerate(PARTNERS) if mask >> bit & 1] or ["none"]
        out.append(values.partner_separator.join(values.spell("partner_category", c) for c in codes))
    return out


def _boolean(values: np.ndarray, value_set: ValueSet, excel: bool) -> pa.Array:
    if value_set.yes_no is None and excel:
        return pa.array(np.where(values < 0, None, values == 1).tolist(), type=pa.bool_())
    yes, no = value_set.yes_no or ("yes", "no")
    return _spell(values, [no, yes])


def _dates_column(values: np.ndarray, excel: bool) -> pa.Array:
    arr = pa.array(values.astype("datetime64[D]"), type=pa.date32(), from_pandas=True)
    return arr if excel else pc.cast(arr, pa.string())


def render(cols: Columns, inst: spec.Institution, year: int, dialect: Dialect, excel: bool,
           seed: int = DEFAULT_SEED) -> Rendered:
    """The cells of one submission in ``dialect``; for .xlsx, numbers and dates stay typed."""
    n = len(cols["seq"])
    vs = VALUE_SETS[dialect.values]
    fy = {"y": year, "yy": (year + 1) % 100}
    ids = pc.binary_join_element_wise(
        dialect.id_format.format(**fy),
        pc.utf8_lpad(pc.cast(pa.array(cols["seq"]), pa.string()), width=4, padding="0"), "")
    titles = _titles_column(cols)
    hours = cols["hours"]
    if excel:
        duration = pa.array(hours)
    elif dialect.hours_unit:
        duration = pc.binary_join_element_wise(_number_text(hours, False), dialect.hours_unit, "")
    else:
        duration = _number_text(hours, False)

    def code_column(list_name: str, codes: Sequence[str], values: np.ndarray) -> pa.Array:
        return _spell(values, [vs.spell(list_name, c) for c in codes])

    def number(values: np.ndarray, integer: bool = False) -> pa.Array:
        if excel:
            return pa.array(values, type=pa.int64() if integer else pa.float64(), from_pandas=True)
        return _number_text(values, dialect.thousands)

    noc = _spell(cols["noc"], [codes.replace(";", vs.noc_separator) for codes in NOC_VOCAB])
    cells: dict[str, pa.Array] = {
        "institution_code": _repeat(inst.name if dialect.institution_as_name else inst.code, n),
        "reporting_period": _repeat(period_text(year, dialect.period), n),
        "offering_id": ids,
        "title": titles,
        "mc_type": code_column("mc_type", MC_TYPES, cols["mc_type"]),
        "delivery_mode": code_column("delivery_mode", DELIVERY_MODES, cols["delivery"]),
        "credit_status": code_column("credit_status", ("non_credit", "credit"), cols["credit"].astype(np.int64)),
        "credits": number(cols["credits"]),
        "partner_categories": _spell(cols["partners"], partner_vocabulary(vs)),
        "continuing_education": _boolean(cols["ce"], vs, excel),
        "duration_hours": duration,
        "assessment": _boolean(cols["assessment"], vs, excel),
        "recognition": code_column("recognition", RECOGNITIONS, cols["recognition"]),
        "ladders_to_credential": _boolean(cols["ladders"], vs, excel),
        "prior_learning_recognition": _boolean(cols["plar"], vs, excel),
        "field_of_study": code_column("field_of_study", FIELDS, cols["field"]),
        "ministry_funded": _boolean(cols["funded"], vs, excel),
        "competencies": _spell(cols["competencies"], COMPETENCY_VOCAB),
        "noc_codes": noc,
        "enrolments": number(cols["enrolments"], integer=True),
        "completions": number(cols["completions"], integer=True),
        "tuition_cad": number(cols["tuition"]),
        "start_date": _dates_column(cols["start"], excel),
        "end_date": _dates_column(cols["end"], excel),
    }
    header_set = HEADER_SETS[dialect.headers]
    names = [c for c in header_set if c not in dialect.omit]
    rendered = Rendered(names, [header_set[c] for c in names], [cells[c] for c in names])
    if dialect.extra_column:
        rng = np.random.default_rng(entropy(seed, 4, year, n))
        notes = ["Waitlist", "New this year", "Offered twice", "Run with employer partner"]
        rendered.names.append("")
        rendered.headers.append(dialect.extra_column)
        rendered.columns.append(_spell(np.where(rng.random(n) < 0.15, rng.integers(0, len(notes), n), -1), notes))
    return rendered


def rendered_for_file(planned: PlannedFile, year: int, cols: Columns, dialect: Dialect, seed: int,
                       inst_index: int, excel: bool) -> Rendered:
    """Render one year of a planned file, with its deliberate fault if any."""
    inst = planned.institution
    fault = planned.fault
    if fault in ("bad_values", "bad_values_and_dates"):
        rows = fault_rows(cols, seed, inst_index, year, 6)
        cols = completions_over_enrolments(cols, rows[:2])
        if fault == "bad_values_and_dates":
            cols = end_before_start(cols, rows[2:3], year)
    if dialect.encoding == "cp1252":
        cols = _with_accented_title(cols)
    rendered = render(cols, inst, year, dialect, excel, seed)
    if fault == "bad_values":
        # A delivery mode and a type outside the code lists, and none combined with a partner.
        bad = {"delivery_mode": "Correspondence", "mc_type": "Workshop",
               "partner_categories": VALUE_SETS[dialect.values].partner_separator.join(["none", "employer_industry"])}
        rendered.overrides = {column: {int(row): value} for (column, value), row in zip(bad.items(), rows[2:])}
    elif fault == "bad_values_and_dates":
        noncredit = [int(r) for r in rows[3:] if not cols["credit"][r]]
        if noncredit:
            rendered.overrides = {"credits": {noncredit[0]: 1.5 if excel else "1.5"}}
    elif fault == "missing_column":
        # The assessment column was replaced by the assessment method: unknown, and assessment is missing.
        at = rendered.names.index("assessment")
        methods = ["Project", "Quiz", "Portfolio", "Practical exam"]
        rendered.headers[at] = "Assessment method"
        rendered.columns[at] = _spell(cols["seq"] % len(methods), methods)
    elif fault == "repeated_title":
        titles = rendered.columns[rendered.names.index("title")]
        if len(titles) > 1:
            rendered.overrides = {"title": {len(titles) - 1: titles[0].as_py()}}
    return rendered


def _with_accented_title(cols: Columns) -> Columns:
    """Windows-1252 files are there to carry accents: make sure one title has some."""
    if np.isin(cols["topic"], ACCENTED_TOPICS).any() or not len(cols["topic"]):
        return cols
    out = dict(cols)
    topic = cols["topic"].copy()
    topic[0] = ACCENTED_TOPICS[0]
    out["topic"] = topic
    for name in ("format", "intake"):
        out[name] = cols[name].copy()
        out[name][0] = 0
    if (field_ := cols["field"][0]) >= 0 and field_ != TOPIC_FIELD[ACCENTED_TOPICS[0]]:
        out["field"] = cols["field"].copy()
        out["field"][0] = TOPIC_FIELD[ACCENTED_TOPICS[0]]
    return out


def decoded(column: pa.Array) -> pa.Array:
    return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column
