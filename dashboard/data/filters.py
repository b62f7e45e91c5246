"""The one filter model of the product: URL query, pages, export endpoints and
`mcred export` all parse and render filters here, so they cannot disagree.

A Filters value renders to ``(where_sql, params)`` over the ``current_offerings``
view; identifiers come only from the PARAMETERS allow-list, values are parameters.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from urllib.parse import parse_qs, urlencode

# URL/CLI parameter -> (column of current_offerings, kind)
PARAMETERS: dict[str, tuple[str, str]] = {
    "period": ("reporting_period", "period"),
    "institution": ("institution_code", "code"),
    "sector": ("sector", "code"),
    "region": ("region", "code"),
    "type": ("mc_type", "code"),
    "delivery": ("delivery_mode", "code"),
    "credit": ("credit_status", "code"),
    "partner": ("partner_categories", "list"),
    "field": ("field_of_study", "code"),
    "ce": ("continuing_education", "bool"),
    "funded": ("ministry_funded", "bool"),
}
ALL_PERIODS = "all"
BOOLEAN_VALUES = ("yes", "no")
_PERIOD = re.compile(r"^(\d{4})[/-](\d{2})$")


class FilterError(ValueError):
    """Unknown filter values; the message lists what is accepted."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Vocabulary:
    """Accepted values per parameter, in display order, with labels (from the warehouse)."""

    values: Mapping[str, tuple[tuple[str, str], ...]]  # param -> ((code, label), ...)
    latest_period: str | None = None

    def codes(self, param: str) -> list[str]:
        return [code for code, _ in self.values.get(param, ())]

    def label(self, param: str, code: str) -> str:
        return dict(self.values.get(param, ())).get(code, code)


def canonical_period(text: str) -> str:
    """'2024-25' -> '2024/25' (other spellings are left for the vocabulary check)."""
    m = _PERIOD.match(text.strip())
    return f"{m.group(1)}/{m.group(2)}" if m else text.strip()


@dataclass(frozen=True)
class Filters:
    period: tuple[str, ...] = ()
    institution: tuple[str, ...] = ()
    sector: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    delivery: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    partner: tuple[str, ...] = ()
    field: tuple[str, ...] = ()
    ce: tuple[str, ...] = ()
    funded: tuple[str, ...] = ()
    # False when period was not given and defaults to the latest period with data.
    explicit_period: bool = dataclasses.field(default=False, compare=False)

    # -- parsing -----------------------------------------------------------------

    @staticmethod
    def parameter_names() -> list[str]:
        return list(PARAMETERS)

    @classmethod
    def parse(cls, query: Mapping[str, Iterable[str] | str | None] | str, vocabulary: Vocabulary,
              strict: bool = True) -> tuple[Filters, list[str]]:
        """Filters from a URL query (string or mapping). Returns (filters, problems).

        strict: unknown parameters or values raise FilterError listing accepted ones;
        otherwise they are dropped and reported in ``problems`` (pages show a notice).
        """
        if isinstance(query, str):
            query = parse_qs(query.lstrip("?"), keep_blank_values=False)
        problems: list[str] = []
        values: dict[str, tuple[str, ...]] = {}
        for name, raw in query.items():
            if name not in PARAMETERS:
                if name in ("peers", "focus", "measure", "split", "tab", "submission", "severity", "column", "q",
                            "cell"):
                    continue  # page-specific state, parsed by its page
                problems.append(f"unknown filter {name!r}: filters are {', '.join(PARAMETERS)}")
                continue
            items = [raw] if isinstance(raw, str) else list(raw or [])
            parts = [p.strip() for item in items if item is not None for p in str(item).split(",") if p.strip()]
            kept = []
            for part in parts:
                value = cls._accept(name, part, vocabulary)
                if value is None:
                    problems.append(cls._unknown(name, part, vocabulary))
                elif value not in kept:
                    kept.append(value)
            values[name] = tuple(kept)
        if problems and strict:
            raise FilterError(problems)
        explicit = bool(values.get("period"))
        if values.get("period") == (ALL_PERIODS,):
            values["period"] = ()
        elif not values.get("period") and vocabulary.latest_period:
            values["period"] = (vocabulary.latest_period,)
        return cls(**values, explicit_period=explicit), problems

    @staticmethod
    def _accept(name: str, part: str, vocabulary: Vocabulary) -> str | None:
        kind = PARAMETERS[name][1]
        if kind == "bool":
            value = part.lower()
            return value if value in BOOLEAN_VALUES else None
        if kind == "period":
            if part.lower() == ALL_PERIODS:
                return ALL_PERIODS
            value = canonical_period(part)
            return value if value in vocabulary.codes("period") else None
        codes = vocabulary.codes(name)
        if part in codes:
            return part
        lowered = {c.lower(): c for c in codes}
        return lowered.get(part.lower())

    @staticmethod
    def _unknown(name: str, part: str, vocabulary: Vocabulary) -> str:
        if PARAMETERS[name][1] == "bool":
            accepted = BOOLEAN_VALUES
        elif name == "period":
            accepted = (*vocabulary.codes("period"), ALL_PERIODS)
        else:
            accepted = vocabulary.codes(name)
        return f"unknown {name} {part!r}: accepted values are {', '.join(accepted) or '(none loaded yet)'}"

    # -- rendering ---------------------------------------------------------------

    def to_query(self) -> dict[str, str]:
        """Non-empty parameters, comma-joined (period only when chosen explicitly)."""
        out = {}
        for name in PARAMETERS:
            vals = getattr(self, name)
            if name == "period" and not self.explicit_period:
                continue
            if name == "period" and self.explicit_period and not vals:
                out[name] = ALL_PERIODS
            elif vals:
                out[name] = ",".join(vals)
        return out

    def to_search(self, extra: Mapping[str, str] | None = None) -> str:
        query = {**self.to_query(), **{k: v for k, v in (extra or {}).items() if v}}
        return ("?" + urlencode(query, safe=",/")) if query else ""

    def where(self, exclude: Iterable[str] = (), alias: str = "") -> tuple[str, list]:
        """(where_sql, params) over current_offerings; ``exclude`` drops some parameters."""
        prefix = f"{alias}." if alias else ""
        clauses, params = [], []
        skip = set(exclude)
        for name, (column, kind) in PARAMETERS.items():
            vals = getattr(self, name)
            if name in skip or not vals:
                continue
            col = prefix + column
            if kind == "list":
                clauses.append(f"list_has_any({col}, ?::VARCHAR[])")
                params.append(list(vals))
            elif kind == "bool":
                if len(set(vals)) == 1:
                    clauses.append(f"{col} IS NOT DISTINCT FROM ?")
                    params.append(vals[0] == "yes")
            else:
                clauses.append(f"list_contains(?::VARCHAR[], {col})")
                params.append(list(vals))
        return (" AND ".join(clauses) or "TRUE"), params

    def with_values(self, **changes: Iterable[str]) -> Filters:
        """A copy with some parameters replaced (a period change makes the period explicit)."""
        clean = {k: tuple(v or ()) for k, v in changes.items()}
        explicit = self.explicit_period or "period" in clean
        return replace(self, **clean, explicit_period=explicit)

    def without(self, *names: str) -> Filters:
        return self.with_values(**{n: () for n in names if n != "period"})

    def active(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)
                if f.name in PARAMETERS and getattr(self, f.name)]

    def describe(self, vocabulary: Vocabulary) -> str:
        """Plain words for the active filters (export metadata, notices)."""
        parts = []
        for name, vals in self.active():
            parts.append(f"{name}: " + ", ".join(vocabulary.label(name, v) for v in vals))
        if not self.period:
            parts.insert(0, "period: all")
        return "; ".join(parts) or "none"
