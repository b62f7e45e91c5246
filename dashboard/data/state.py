"""Page state beside the filters, modelled like ``Filters``: each page's own URL parameters,
parsed from and written to the URL here and nowhere else.

Every state class declares its ``PARAMETERS``; ``Filters.parse`` leaves those to their
page (``PAGE_PARAMETERS``), since the navigation carries one query from page to page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

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


# --- the explorer: a title search ------------------------------------------------------------------

SEARCH_MAX_CHARS = 200


@dataclass(frozen=True)
class ExploreState:
    PARAMETERS: ClassVar[tuple[str, ...]] = ("q",)

    search: str | None = None

    @classmethod
    def parse(cls, query: Query) -> ExploreState:
        return cls(first(query, "q")[:SEARCH_MAX_CHARS] or None)

    def to_query(self) -> dict[str, str]:
        return {"q": self.search or ""}


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
