"""The one filter model of the product: URL query, pages, export endpoints and
`mcred export` all parse and render filters here, so they cannot disagree.

A Filters value renders to ``(where_sql, params)`` over the ``current_offerings``
view; identifiers come only from the dimension registry, values are parameters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from dashboard.data.dimensions import ALL_PERIODS, BOOLEAN_VALUES, BY_PARAM, PARAMETERS, PERIOD
from dashboard.data.state import PAGE_PARAMETERS
from dashboard.data.vocabulary import Vocabulary, canonical_period

__all__ = ["ALL_PERIODS", "PARAMETERS", "FilterError", "Filters", "Vocabulary", "canonical_period"]


class FilterError(ValueError):
    """Unknown filter values; the message lists what is accepted."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


_POSITION = {name: i for i, name in enumerate(PARAMETERS)}


class Filters:
    """One value per dimension of the registry (a tuple of accepted codes; empty: any),
    read as attributes (``filters.sector``). Immutable and hashable; equal when the values
    are (whether the period was given explicitly does not count)."""

    __slots__ = ("_values", "explicit_period")
    _values: tuple[tuple[str, ...], ...]
    # False when period was not given and defaults to the latest period with data.
    explicit_period: bool

    def __init__(self, explicit_period: bool = False, **values: Iterable[str]):
        unknown = set(values) - set(_POSITION)
        if unknown:
            raise TypeError(f"unknown filter parameters {sorted(unknown)}: parameters are {', '.join(PARAMETERS)}")
        object.__setattr__(self, "_values", tuple(tuple(values.get(name) or ()) for name in PARAMETERS))
        object.__setattr__(self, "explicit_period", explicit_period)

    def __getattr__(self, name: str) -> tuple[str, ...]:
        position = _POSITION.get(name)
        if position is None:
            raise AttributeError(f"Filters has no parameter {name!r}")
        return self._values[position]

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to {name!r}: Filters are immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Filters) and self._values == other._values

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={values!r}" for name, values in zip(PARAMETERS, self._values) if values)
        return f"Filters({shown})"

    @classmethod
    def from_controls(cls, controls: list[dict[str, Any]], vocabulary: Vocabulary) -> Filters:
        """Filters from a page's filter controls (a callback's ALL-wildcard input list), leniently:
        the one place callbacks turn their inputs into Filters."""
        filters, _ = cls.parse(values_from_controls(controls), vocabulary, strict=False)
        return filters

    def get(self, name: str) -> tuple[str, ...]:
        return self._values[_POSITION[name]]

    # -- parsing -----------------------------------------------------------------

    @staticmethod
    def parameter_names() -> list[str]:
        return list(PARAMETERS)

    @classmethod
    def parse(
        cls, query: Mapping[str, Iterable[str] | str | None] | str, vocabulary: Vocabulary, strict: bool = True
    ) -> tuple[Filters, list[str]]:
        """Filters from a URL query (string or mapping). Returns (filters, problems).

        strict: unknown parameters or values raise FilterError listing accepted ones;
        otherwise they are dropped and reported in ``problems`` (pages show a notice).
        """
        if isinstance(query, str):
            query = parse_qs(query.lstrip("?"), keep_blank_values=False)
        problems: list[str] = []
        values: dict[str, tuple[str, ...]] = {}
        for name, raw in query.items():
            if name not in BY_PARAM:
                if name in PAGE_PARAMETERS:
                    continue  # page state (dashboard.data.state), parsed by its page
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
        return cls(explicit, **values), problems

    @staticmethod
    def _accept(name: str, part: str, vocabulary: Vocabulary) -> str | None:
        if BY_PARAM[name].kind == "boolean":
            value = part.lower()
            return value if value in BOOLEAN_VALUES else None
        if name == PERIOD:
            if part.lower() == ALL_PERIODS:
                return ALL_PERIODS
            value = canonical_period(part)
            return value if value in vocabulary.codes(PERIOD) else None
        return vocabulary.lookup(name, part)

    @staticmethod
    def _unknown(name: str, part: str, vocabulary: Vocabulary) -> str:
        accepted: Iterable[str]
        if BY_PARAM[name].kind == "boolean":
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
            vals = self.get(name)
            if name == "period" and not self.explicit_period:
                continue
            if name == "period" and self.explicit_period and not vals:
                out[name] = ALL_PERIODS
            elif vals:
                out[name] = ",".join(vals)
        return out

    def to_search(self, extra: Mapping[str, str] | None = None) -> str:
        query = {**self.to_query(), **{k: v for k, v in (extra or {}).items() if v}}
        return ("?" + urlencode(query, safe=",/:")) if query else ""

    def where(self, exclude: Iterable[str] = (), alias: str = "") -> tuple[str, list[Any]]:
        """(where_sql, params) over current_offerings; ``exclude`` drops some parameters."""
        prefix = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: list[Any] = []
        skip = set(exclude)
        for name, dim in BY_PARAM.items():
            vals = self.get(name)
            if name in skip or not vals:
                continue
            col = prefix + dim.column
            if dim.kind == "list":
                clauses.append(f"list_has_any({col}, ?::VARCHAR[])")
                params.append(list(vals))
            elif dim.kind == "boolean":
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
        values = {name: self.get(name) for name in PARAMETERS}
        return Filters(explicit, **{**values, **clean})

    def without(self, *names: str) -> Filters:
        return self.with_values(**{n: () for n in names if n != "period"})

    def active(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(name, values) for name, values in zip(PARAMETERS, self._values) if values]

    def describe(self, vocabulary: Vocabulary) -> str:
        """Plain words for the active filters (export metadata, notices)."""
        parts = []
        for name, vals in self.active():
            parts.append(f"{name}: " + ", ".join(vocabulary.label(name, v) for v in vals))
        if not self.period:
            parts.insert(0, "period: all")
        return "; ".join(parts) or "none"


def _texts(value: Any) -> list[str]:
    """A control's value as a list of texts, whatever a request sent (a dropdown sends a list of
    strings; a crafted request may send a number, an object or a list of anything): numbers as
    written, anything else dropped, so that parsing names a bad value instead of failing on it."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    return [str(v) for v in items if isinstance(v, str | int | float) and not isinstance(v, bool)]


def values_from_controls(controls: list[dict[str, Any]]) -> dict[str, list[str]]:
    """{param: values} from a callback's ALL-wildcard input list of filter controls."""
    values = {
        item["id"]["name"]: _texts(item.get("value"))
        for item in controls
        if isinstance(item.get("id"), dict) and isinstance(item["id"].get("name"), str)
    }
    if PERIOD in values and not values[PERIOD]:
        values[PERIOD] = [ALL_PERIODS]  # an emptied period box shows every period
    return values
