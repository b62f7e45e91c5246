"""Page state beside the filters, modelled like ``Filters``: each page's own URL parameters,
parsed from and written to the URL here and nowhere else.

Every state class declares its ``PARAMETERS``; ``Filters.parse`` leaves those to their
page (``PAGE_PARAMETERS``), since the navigation carries one query from page to page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from dashboard.data.columns import (
    DEFAULT_SHOWN,
    EXPORT_COLUMNS,
    GRID_COLUMNS,
    NO_VALUE_OPERATORS,
    TWO_VALUE_OPERATORS,
    operators,
)
from dashboard.data.vocabulary import Vocabulary, canonical_period

Query = Mapping[str, object]


def first(query: Query, name: str) -> str:
    """One parameter's value as text ('' when absent): a query string repeats, a callback gives one."""
    raw = query.get(name)
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else None
    return "" if raw is None else str(raw).strip()


# --- the overview: what is counted, and how the trend is split -------------------------------

MEASURES = ("offerings", "enrolments")
NO_SPLIT = "none"
# The trend's split menu, in its order (labels from the dimension registry).
SPLITS = ("sector", "type", "delivery", "credit", "partner", "ce", "field", "region")


@dataclass(frozen=True)
class OverviewState:
    PARAMETERS: ClassVar[tuple[str, ...]] = ("measure", "split")
    DEFAULTS: ClassVar[dict[str, str]] = {"measure": "offerings", "split": "sector"}

    measure: str = "offerings"
    split: str = "sector"

    @classmethod
    def parse(cls, query: Query) -> OverviewState:
        """Unknown values fall back to the defaults (a page never fails on them)."""
        measure, split = first(query, "measure"), first(query, "split")
        return cls(
            measure if measure in MEASURES else cls.DEFAULTS["measure"],
            split if split in (NO_SPLIT, *SPLITS) else cls.DEFAULTS["split"],
        )

    def to_query(self) -> dict[str, str]:
        """The parameters away from their defaults, as the page's URL holds them."""
        return {p: getattr(self, p) for p in self.PARAMETERS if getattr(self, p) != self.DEFAULTS[p]}


# --- the comparison: a focus institution and its peer group ------------------------------------

PEER_KINDS = ("sector", "region", "all")  # besides a hand-picked list of codes
PEER_KIND_LABELS = {
    "sector": "Same sector",
    "region": "Same region",
    "all": "All institutions",
    "custom": "Hand-picked",
}


class PeerChoice(NamedTuple):
    kind: str  # sector, region, all or custom
    codes: tuple[str, ...] = ()  # the hand-picked institutions (kind custom)

    def to_param(self) -> str:
        return ",".join(self.codes) if self.kind == "custom" else self.kind


def parse_focus(text: str | None, vocab: Vocabulary) -> tuple[str | None, list[str]]:
    """The focus institution's code (case-insensitive), or None; problems for unknown codes."""
    text = (text or "").strip()
    if not text:
        return None, []
    code = vocab.lookup("institution", text)
    if code is not None:
        return code, []
    return None, [
        f"unknown focus {text!r}: accepted values are institution codes ({', '.join(vocab.codes('institution'))})"
    ]


def parse_peers(text: str | None, vocab: Vocabulary) -> tuple[PeerChoice, list[str]]:
    """``sector`` (default), ``region``, ``all`` or a comma-separated list of institution codes."""
    text = (text or "").strip()
    if not text:
        return PeerChoice("sector"), []
    if text.lower() in PEER_KINDS:
        return PeerChoice(text.lower()), []
    codes: list[str] = []
    problems = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        code = vocab.lookup("institution", part)
        if code is None:
            problems.append(f"unknown peer {part!r}: peers are sector, region, all or institution codes")
        elif code not in codes:
            codes.append(code)
    if not codes:
        return PeerChoice("sector"), problems
    return PeerChoice("custom", tuple(codes)), problems


@dataclass(frozen=True)
class CompareState:
    PARAMETERS: ClassVar[tuple[str, ...]] = ("focus", "peers")
    DEFAULTS: ClassVar[dict[str, str]] = {"focus": "", "peers": "sector"}

    focus: str | None = None
    peers: PeerChoice = PeerChoice("sector")

    @classmethod
    def parse(
        cls, query: Query, vocab: Vocabulary, institutions: tuple[str, ...] = ()
    ) -> tuple[CompareState, list[str]]:
        """(state, problems). Without a focus, exactly one institution among the filters
        (``institutions``) becomes the focus: a link from a page filtered to one institution."""
        focus, problems = parse_focus(first(query, "focus"), vocab)
        if focus is None and not problems and len(institutions) == 1:
            focus = institutions[0]
        peers, peer_problems = parse_peers(first(query, "peers"), vocab)
        return cls(focus, peers), problems + peer_problems

    def to_query(self) -> dict[str, str]:
        return {"focus": self.focus or "", "peers": self.peers.to_param()}


# --- the explorer: a title search, the columns shown, the grid's column filters and sort ---------

SEARCH_MAX_CHARS = 200
FILTER_PREFIX = "q-"  # no dot: Dash ids (the hidden inputs that keep it in the URL) cannot hold one; q-<column>=<operator>:<value>: one grid column filter
SORT_DIRECTIONS = ("asc", "desc")
HEADERS = ("codes", "labels")  # an export's header row and coded values: codes (default) or the screen's labels
_FILTER_TYPES = {"text": "text", "yesno": "text", "number": "number", "date": "date"}


class ExploreRequestError(ValueError):
    """Explorer state that cannot be served (HTTP 400 at an endpoint, exit 2 from ``mcred export``):
    each problem names the parameter and what it accepts."""

    status = 400

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class GridFilter:
    """One grid column filter: ``column``, an operator of its kind, its values as text (none for
    blank/notBlank, two for inRange; numbers and ISO dates already checked)."""

    column: str
    op: str
    values: tuple[str, ...] = ()

    @property
    def parameter(self) -> str:
        return FILTER_PREFIX + self.column

    def to_param(self) -> str:
        return ":".join((self.op, *self.values))

    def describe(self) -> str:
        header = GRID_COLUMNS[self.column].header
        if not self.values:
            return f"{header} {self.op}"
        return f"{header} {self.op} " + " and ".join(repr(v) if i == 0 else v for i, v in enumerate(self.values))


def _accepted_columns() -> str:
    return ", ".join(GRID_COLUMNS)


def _check_number(text: str) -> str | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return text.strip()


def _check_date(text: str) -> str | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10]).isoformat()
    except ValueError:
        return None


def parse_grid_filter(column: str, text: str) -> tuple[GridFilter | None, str | None]:
    """``q-<column>=<operator>[:<value>[:<value>]]`` -> (GridFilter, None) or (None, problem)."""
    name = FILTER_PREFIX + column
    spec = GRID_COLUMNS.get(column)
    if spec is None:
        return None, f"unknown grid filter {name!r}: accepted are q-<column> with a column of {_accepted_columns()}"
    allowed = operators(spec.kind)
    op, _, rest = text.partition(":")
    if op not in allowed:
        return (
            None,
            f"{name}: unknown operator {op!r}: accepted operators for {spec.kind} columns are {', '.join(allowed)}",
        )
    if op in NO_VALUE_OPERATORS:
        return GridFilter(column, op), None
    if spec.kind in ("text", "yesno"):
        if not rest:
            return None, f"{name}: {op} needs a value, e.g. {name}={op}:Data"
        return GridFilter(column, op, (rest[:SEARCH_MAX_CHARS],)), None
    parts = rest.split(":") if op in TWO_VALUE_OPERATORS else [rest]
    example = "2024-09-01" if spec.kind == "date" else "10"
    check = _check_date if spec.kind == "date" else _check_number
    values = [check(p) for p in parts]
    wanted = 2 if op in TWO_VALUE_OPERATORS else 1
    if len(parts) != wanted or any(v is None for v in values):
        form = f"{op}:{example}:{example}" if wanted == 2 else f"{op}:{example}"
        return None, f"{name}: {text!r} is not a {spec.kind} filter: write e.g. {name}={form}"
    return GridFilter(column, op, tuple(v for v in values if v is not None)), None


def parse_sort(
    text: str, columns: Collection[str] = GRID_COLUMNS.keys()
) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """``sort=title:asc,enrolments:desc`` (direction asc by default) -> ((column, direction), ...),
    each column one of ``columns`` (the explorer's by default)."""
    out: list[tuple[str, str]] = []
    problems = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        column, _, direction = part.partition(":")
        direction = direction.strip().lower() or "asc"
        if column not in columns:
            problems.append(f"sort: unknown column {column[:60]!r}: accepted columns are {', '.join(columns)}")
        elif direction not in SORT_DIRECTIONS:
            problems.append(f"sort: unknown direction {direction[:20]!r} for {column}: accepted are asc, desc")
        elif column not in (c for c, _ in out):
            out.append((column, direction))
    return tuple(out), problems


def parse_columns(text: str) -> tuple[tuple[str, ...], list[str]]:
    """``columns=offering_id,title,...`` -> the columns in the order given (unknown ones are problems)."""
    out: list[str] = []
    problems = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part not in GRID_COLUMNS:
            problems.append(f"columns: unknown column {part!r}: accepted columns are {_accepted_columns()}")
        elif part not in out:
            out.append(part)
    return tuple(out), problems


@dataclass(frozen=True)
class ExploreState:
    """What the explorer shows beyond the shared filters, as its URL says, and what its downloads hold:

    - ``q``: a title search (any case);
    - ``columns``: the columns shown, in their order (empty: the grid's default; an export's
      default is every export column);
    - ``q-<column>=<operator>:<value>``: one grid column filter per column (AG Grid's operators:
      contains, notContains, equals, notEqual, startsWith, endsWith for text; equals, notEqual,
      lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual, inRange (two values:
      ``inRange:10:20``) for numbers and dates; blank, notBlank for any);
    - ``sort=<column>:<asc|desc>,...``: the grid's sort, first key first;
    - ``headers``: ``codes`` (default) or ``labels``: an export's header row and coded values.
    """

    PARAMETERS: ClassVar[tuple[str, ...]] = (
        "q",
        "columns",
        "sort",
        "headers",
        *(FILTER_PREFIX + c for c in GRID_COLUMNS),
    )

    search: str | None = None
    columns: tuple[str, ...] = ()
    filters: tuple[GridFilter, ...] = ()
    sort: tuple[tuple[str, str], ...] = ()
    headers: str = "codes"

    @classmethod
    def read(cls, query: Query) -> tuple[ExploreState, list[str]]:
        """(state, problems): what cannot be read is left out and described."""
        problems: list[str] = []
        columns, found = parse_columns(first(query, "columns"))
        problems += found
        sort, found = parse_sort(first(query, "sort"))
        problems += found
        headers = first(query, "headers").lower() or "codes"
        if headers not in HEADERS:
            problems.append(f"headers: unknown value {headers!r}: accepted are {', '.join(HEADERS)}")
            headers = "codes"
        grid: list[GridFilter] = []
        for name in query:
            if not str(name).startswith(FILTER_PREFIX):
                continue
            text = first(query, str(name))
            if not text:
                continue
            item, problem = parse_grid_filter(str(name)[len(FILTER_PREFIX) :], text)
            if item is not None:
                grid.append(item)
            if problem:
                problems.append(problem)
        order = {c: i for i, c in enumerate(GRID_COLUMNS)}
        grid.sort(key=lambda f: order[f.column])
        search = first(query, "q")[:SEARCH_MAX_CHARS] or None
        return cls(search, columns, tuple(grid), sort, headers), problems

    @classmethod
    def parse(cls, query: Query, strict: bool = False) -> ExploreState:
        """strict (the downloads, ``mcred export``): a malformed value raises ExploreRequestError;
        otherwise (the page) it is left out."""
        state, problems = cls.read(query)
        if problems and strict:
            raise ExploreRequestError(problems)
        return state

    def to_query(self, name_columns: bool = False) -> dict[str, str]:
        """Every parameter (empty where it has its default: a URL leaves it out). name_columns:
        name the columns shown even when they are the grid's default (a download from the page
        holds exactly those; an export that names no columns holds every export column)."""
        columns = self.shown_columns() if name_columns else self.columns
        query = {
            "q": self.search or "",
            "columns": ",".join(columns),
            "sort": ",".join(f"{c}:{d}" for c, d in self.sort),
            "headers": "" if self.headers == "codes" else self.headers,
        }
        query.update({f.parameter: f.to_param() for f in self.filters})
        return query

    def shown_columns(self, default: tuple[str, ...] = DEFAULT_SHOWN) -> tuple[str, ...]:
        return self.columns or default

    def export_columns(self) -> tuple[str, ...]:
        return self.columns or EXPORT_COLUMNS

    def replace(self, **changes: object) -> ExploreState:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    # -- the grid's models (dash-ag-grid's filterModel and sortModel) -------------------------

    def with_grid(self, filter_model: object, sort_model: object) -> ExploreState:
        """This state with the grid's filter and sort models (from the browser: checked like a URL)."""
        query: dict[str, str] = {}
        problems = []
        if filter_model is None:
            filter_model = {}
        if not isinstance(filter_model, Mapping):
            raise ExploreRequestError(["filterModel: expected an object of column filters"])
        for column, model in filter_model.items():
            param = FILTER_PREFIX + str(column)
            if not isinstance(model, Mapping) or "conditions" in model:
                problems.append(f"{param}: one condition per column (an object with type and filter)")
                continue
            op = str(model.get("type") or "")
            values: list[object]
            if op in NO_VALUE_OPERATORS:
                values = []
            elif model.get("filterType") == "date" or "dateFrom" in model:  # "2024-09-01 00:00:00"
                values = [v[:10] if isinstance(v, str) else v for v in (model.get("dateFrom"), model.get("dateTo"))]
            else:
                values = [model.get("filter"), model.get("filterTo")]
            if op not in TWO_VALUE_OPERATORS:
                values = values[:1]
            if any(v is None or isinstance(v, bool) or not isinstance(v, str | int | float) for v in values):
                problems.append(f"{param}: {op or 'the filter'} needs a text, number or date value")
                continue
            query[param] = ":".join([op, *(_number_text(v) for v in values)])
        if sort_model is None:
            sort_model = []
        if not isinstance(sort_model, list | tuple):
            raise ExploreRequestError(["sortModel: expected a list of {colId, sort}"])
        sorts = []
        for item in sort_model:
            if not isinstance(item, Mapping):
                problems.append("sortModel: expected a list of {colId, sort}")
                continue
            sorts.append(f"{item.get('colId')}:{item.get('sort')}")
        query["sort"] = ",".join(sorts)
        grid, found = ExploreState.read(query)
        problems += found
        if problems:
            raise ExploreRequestError(problems)
        return self.replace(filters=grid.filters, sort=grid.sort)

    def filter_model(self) -> dict[str, dict[str, object]]:
        """The grid filters as dash-ag-grid's ``filterModel``."""
        model: dict[str, dict[str, object]] = {}
        for f in self.filters:
            kind = GRID_COLUMNS[f.column].kind
            item: dict[str, object] = {"filterType": _FILTER_TYPES[kind], "type": f.op}
            if kind == "date":
                for key, value in zip(("dateFrom", "dateTo"), f.values):
                    item[key] = f"{value} 00:00:00"
            elif kind == "number":
                for key, value in zip(("filter", "filterTo"), f.values):
                    item[key] = _as_number(value)
            elif f.values:
                item["filter"] = f.values[0]
            model[f.column] = item
        return model

    def sort_model(self) -> list[dict[str, str]]:
        return [{"colId": c, "sort": d} for c, d in self.sort]

    def describe_filters(self) -> str:
        return "; ".join(f.describe() for f in self.filters) or "none"

    def describe_sort(self) -> str:
        return (
            ", ".join(f"{GRID_COLUMNS[c].header} ({'ascending' if d == 'asc' else 'descending'})" for c, d in self.sort)
            or "load order"
        )


def _number_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


# --- the submissions page and the issue downloads: which issues ---------------------------------

SEVERITIES = ("error", "warning")
CELL_SEPARATOR = "_"


def parse_cell(text: str | None) -> tuple[str, str] | None:
    """'BCIT_2024/25' -> ('BCIT', '2024/25'); None when malformed."""
    if not text or CELL_SEPARATOR not in text:
        return None
    code, period = text.rsplit(CELL_SEPARATOR, 1)
    period = canonical_period(period)
    if not code or len(period) != 7:
        return None
    return code, period


def cell_key(code: str, period: str) -> str:
    return f"{code}{CELL_SEPARATOR}{period}"


class IssueRequestError(ValueError):
    """An issue selection that cannot be served; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class IssueSelection:
    """Which issues the page shows and a download holds, as the URL says: one submission's
    (``submission``), the most recent file of one institution and year (``cell``), or each
    institution's most recent file for the year; then by ``severity`` and ``column``."""

    PARAMETERS: ClassVar[tuple[str, ...]] = ("submission", "cell", "severity", "column")

    submission: int | None = None
    cell: tuple[str, str] | None = None
    severity: str | None = None
    column: str | None = None

    @classmethod
    def parse(cls, query: Query, strict: bool = False) -> IssueSelection:
        """strict (the downloads): a malformed value raises IssueRequestError; otherwise
        (the page) it is left out."""
        severity = first(query, "severity").lower() or None
        if severity in ("all", "any"):
            severity = None
        if severity is not None and severity not in SEVERITIES:
            if strict:
                raise IssueRequestError(f"unknown severity {severity!r}: accepted values are error, warning, all")
            severity = None
        text, cell_text = first(query, "submission"), first(query, "cell")
        if text and not text.isdigit() and strict:
            raise IssueRequestError(f"submission must be a submission number, not {text!r}")
        cell = parse_cell(cell_text)
        if cell_text and cell is None and strict and not text:
            raise IssueRequestError(f"cell must look like BCIT_2024/25, not {cell_text!r}")
        return cls(int(text) if text.isdigit() else None, cell, severity, first(query, "column") or None)


ALL_STATES = (OverviewState, CompareState, ExploreState, IssueSelection)
PAGE_PARAMETERS: frozenset[str] = frozenset(p for state in ALL_STATES for p in state.PARAMETERS)
