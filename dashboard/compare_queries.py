"""The portfolio comparison's questions: one institution beside its peers and the province.

One GROUP BY over ``current_offerings`` gives every institution's counts (totals,
category counts per composition dimension, target-metric numerators); the focus,
its peer group and the province are then summed from that small frame in pandas,
so changing the focus or the peer group costs no further scan. The frame is cached
per (warehouse version, filters).

Filters: the shared filters narrow the offerings compared, except ``institution``,
``sector`` and ``region``, which the peer group replaces (a peer group of colleges
would otherwise be emptied by a sector filter on institutes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
import pandas as pd

from dashboard import queries
from dashboard.db import Database
from dashboard.filters import Filters, Vocabulary

PEER_KINDS = ("sector", "region", "all")  # besides a hand-picked list of codes
PEER_KIND_LABELS = {"sector": "Same sector", "region": "Same region", "all": "All institutions",
                    "custom": "Hand-picked"}
IGNORED_FILTERS = ("institution", "sector", "region")  # replaced by the focus and the peer group
SMALL_N = 5  # a share resting on fewer offerings than this is marked
LARGE_GAP_PTS = 10.0  # differences from the peer group at least this large are called out

# Composition dimension -> (title words, vocabulary list, SQL column or None for the special cases)
COMPOSITION: dict[str, tuple[str, str]] = {
    "type": ("Micro-credential type", "mc_type"),
    "delivery": ("Delivery mode", "delivery_mode"),
    "credit": ("Credit status", "credit_status"),
    "partner": ("Partner category", "partner_categories"),
    "ce": ("Continuing education", "continuing_education"),
    "field": ("Field of study", "field_of_study"),
}
CE_LABELS = {"yes": "Continuing education", "no": "Not continuing education"}

# Compliance: all three framework rules met (under 288 hours, assessed, a partner named).
COMPLIANT_SQL = "duration_hours < 288 AND assessment AND NOT list_contains(partner_categories, 'none')"

PROFILE_SQL = """
SELECT institution_code,
       count(*) AS n_offerings,
       sum(enrolments) AS n_enrolments,
       sum(completions) AS n_completions,
       sum(CASE WHEN {compliant} THEN 1 ELSE 0 END) AS n_compliant,
       {metrics},
       {categories}
FROM current_offerings
WHERE {where}
GROUP BY institution_code
"""

TREND_SQL = """
SELECT reporting_period, institution_code, count(*) AS offerings, sum(enrolments) AS enrolments,
       sum(completions) AS completions
FROM current_offerings
WHERE {where}
GROUP BY reporting_period, institution_code
"""

STATUS_SQL = """
SELECT reporting_period, status FROM reporting_status
WHERE institution_code = ? AND list_contains(?::VARCHAR[], reporting_period)
"""


class PeerChoice(NamedTuple):
    kind: str  # sector, region, all or custom
    codes: tuple[str, ...] = ()  # the hand-picked institutions (kind custom)

    def to_param(self) -> str:
        return ",".join(self.codes) if self.kind == "custom" else self.kind


class Profile(NamedTuple):
    """Per-institution counts for the filtered offerings.

    totals: one row per institution with offerings: n_offerings, n_enrolments,
        n_completions, n_compliant and the metric columns of queries.metric_counts.
    composition: long frame institution_code, dimension, category, offerings.
    """

    totals: pd.DataFrame
    composition: pd.DataFrame


# --- parsing the page state ----------------------------------------------------------------


def parse_focus(text: str | None, vocab: Vocabulary) -> tuple[str | None, list[str]]:
    """The focus institution's code (case-insensitive), or None; problems for unknown codes."""
    text = (text or "").strip()
    if not text:
        return None, []
    codes = {c.lower(): c for c in vocab.codes("institution")}
    if text.lower() in codes:
        return codes[text.lower()], []
    return None, [f"unknown focus {text!r}: accepted values are institution codes "
                  f"({', '.join(vocab.codes('institution'))})"]


def parse_peers(text: str | None, vocab: Vocabulary) -> tuple[PeerChoice, list[str]]:
    """``sector`` (default), ``region``, ``all`` or a comma-separated list of institution codes."""
    text = (text or "").strip()
    if not text:
        return PeerChoice("sector"), []
    if text.lower() in PEER_KINDS:
        return PeerChoice(text.lower()), []
    known = {c.lower(): c for c in vocab.codes("institution")}
    codes, problems = [], []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part.lower() in known:
            if known[part.lower()] not in codes:
                codes.append(known[part.lower()])
        else:
            problems.append(f"unknown peer {part!r}: peers are sector, region, all or institution codes")
    if not codes:
        return PeerChoice("sector"), problems
    return PeerChoice("custom", tuple(codes)), problems


def compared_filters(filters: Filters) -> Filters:
    """The filters that narrow the compared offerings (the peer group replaces the rest)."""
    return filters.without(*IGNORED_FILTERS)


# --- queries ----------------------------------------------------------------------------------


def _category_columns(vocab: Vocabulary) -> tuple[list[str], list, list[tuple[str, str]]]:
    """SQL aggregates counting offerings per category, their parameters and (dimension, code) per column."""
    sql, params, keys = [], [], []
    for dim, (_words, column) in COMPOSITION.items():
        if dim == "ce":
            for code, cond in (("yes", "continuing_education"), ("no", "NOT continuing_education")):
                sql.append(f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END) AS c{len(keys)}")
                keys.append((dim, code))
            continue
        for code in vocab.codes(dim):
            if dim == "partner":
                sql.append(f"sum(CASE WHEN list_contains({column}, ?) THEN 1 ELSE 0 END) AS c{len(keys)}")
            else:
                sql.append(f"sum(CASE WHEN {column} = ? THEN 1 ELSE 0 END) AS c{len(keys)}")
            params.append(code)
            keys.append((dim, code))
        if dim == "field":
            sql.append(f"sum(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END) AS c{len(keys)}")
            keys.append((dim, queries.NOT_REPORTED))
    return sql, params, keys


_profile_cache: OrderedDict[tuple, Profile] = OrderedDict()
_profile_lock = threading.Lock()
PROFILE_CACHE_SIZE = 32


def institution_profile(db: Database, filters: Filters, vocab: Vocabulary) -> Profile:
    """Every institution's counts for the filtered offerings: one GROUP BY, cached per version."""
    where, where_params = compared_filters(filters).where()
    key = (str(db.path), db.version, where, repr(where_params))
    with _profile_lock:
        if key in _profile_cache:
            _profile_cache.move_to_end(key)
            return _profile_cache[key]
    cat_sql, cat_params, keys = _category_columns(vocab)
    sql = PROFILE_SQL.format(compliant=COMPLIANT_SQL, metrics=queries._metric_columns(),
                             categories=", ".join(cat_sql), where=where)
    frame = db.frame(sql, [*cat_params, *where_params])
    numeric = frame.columns.drop("institution_code")
    frame[numeric] = frame[numeric].fillna(0).astype("int64")
    cat_cols = [f"c{i}" for i in range(len(keys))]
    totals = frame.drop(columns=cat_cols).sort_values("institution_code").reset_index(drop=True)
    long = frame[["institution_code", *cat_cols]].melt(id_vars="institution_code", var_name="col",
                                                         value_name="offerings")
    index = {f"c{i}": k for i, k in enumerate(keys)}
    long["dimension"] = long.col.map(lambda c: index[c][0])
    long["category"] = long.col.map(lambda c: index[c][1])
    composition = long[["institution_code", "dimension", "category", "offerings"]].reset_index(drop=True)
    profile = Profile(totals, composition)
    with _profile_lock:
        _profile_cache[key] = profile
        while len(_profile_cache) > PROFILE_CACHE_SIZE:
            _profile_cache.popitem(last=False)
    return profile


def institutions(db: Database) -> pd.DataFrame:
    """The institutions reference: code, name, sector, region, in reference order."""
    return db.frame("SELECT code, name, sector, region FROM institutions ORDER BY sort_order, code")


def trend_counts(db: Database, filters: Filters) -> pd.DataFrame:
    """Offerings, enrolments and completions per period and institution, across all periods."""
    where, params = compared_filters(filters).where(exclude=("period",))
    frame = db.frame(TREND_SQL.format(where=where), params)
    for col in ("offerings", "enrolments", "completions"):
        frame[col] = frame[col].fillna(0).astype("int64")
    return frame


def reporting_statuses(db: Database, institution: str, periods: list[str]) -> dict[str, str]:
    """period -> accepted / partial / rejected / missing for one institution (absent: nothing received)."""
    return dict(db.rows(STATUS_SQL, [institution, list(periods)]))


# --- the comparison, derived in pandas from the profile ------------------------------------------


def peer_codes(institutions_frame: pd.DataFrame, focus: str, choice: PeerChoice) -> list[str]:
    """The focus institution's peers (never the focus itself), in reference order."""
    ref = institutions_frame.set_index("code")
    if focus not in ref.index:
        return []
    others = institutions_frame[institutions_frame.code != focus]
    if choice.kind == "sector":
        others = others[others.sector == ref.at[focus, "sector"]]
    elif choice.kind == "region":
        others = others[others.region == ref.at[focus, "region"]]
    elif choice.kind == "custom":
        others = others[others.code.isin(choice.codes)]
    return list(others.code)


def describe_peers(institutions_frame: pd.DataFrame, focus: str, choice: PeerChoice, vocab: Vocabulary) -> str:
    """Plain words for the peer group: 'colleges', 'institutions in Cariboo', ..."""
    ref = institutions_frame.set_index("code")
    if choice.kind == "sector" and focus in ref.index:
        return f"other institutions in the {vocab.label('sector', ref.at[focus, 'sector'])} sector"
    if choice.kind == "region" and focus in ref.index:
        return f"other institutions in {vocab.label('region', ref.at[focus, 'region'])}"
    if choice.kind == "custom":
        return "hand-picked peers"
    return "all other institutions"


def composition(profile: Profile, focus: str, peers: list[str], vocab: Vocabulary) -> pd.DataFrame:
    """Shares of offerings per dimension and category for the focus, its peers (pooled) and the province.

    Columns: dimension, category, label, {focus,peers,province}_{n,base,share}, gap_pts (focus
    minus peers, in percentage points), large (|gap| >= LARGE_GAP_PTS). A share's base is the
    group's offerings (partner categories: an offering counts in each it names, so shares of
    one group can add up to more than 100 %).
    """
    comp = profile.composition
    totals = profile.totals.set_index("institution_code").n_offerings
    groups = {"focus": [focus], "peers": list(peers), "province": list(totals.index)}
    frames = []
    for dim in COMPOSITION:
        codes = [k for k in _dimension_codes(dim, vocab)]
        sub = comp[comp.dimension == dim]
        out = pd.DataFrame({"dimension": dim, "category": codes,
                            "label": [_category_label(dim, c, vocab) for c in codes]})
        for name, members in groups.items():
            counts = sub[sub.institution_code.isin(members)].groupby("category").offerings.sum()
            base = int(totals.reindex(members).fillna(0).sum())
            out[f"{name}_n"] = [int(counts.get(c, 0)) for c in codes]
            out[f"{name}_base"] = base
            out[f"{name}_share"] = out[f"{name}_n"] / base if base else np.nan
        frames.append(out)
    result = pd.concat(frames, ignore_index=True)
    # Drop categories nobody in the province uses (e.g. field 'not reported' when every row has one).
    result = result[result.province_n > 0].reset_index(drop=True)
    result["gap_pts"] = (result.focus_share - result.peers_share) * 100
    result["large"] = result.gap_pts.abs() >= LARGE_GAP_PTS - 1e-9
    return result


def _dimension_codes(dim: str, vocab: Vocabulary) -> list[str]:
    if dim == "ce":
        return ["yes", "no"]
    codes = vocab.codes(dim)
    return [*codes, queries.NOT_REPORTED] if dim == "field" else codes


def _category_label(dim: str, code: str, vocab: Vocabulary) -> str:
    if dim == "ce":
        return CE_LABELS[code]
    if code == queries.NOT_REPORTED:
        return "Not reported"
    return vocab.label(dim, code)


def standouts(comp: pd.DataFrame) -> pd.DataFrame:
    """The large differences from the peer group, largest first (ahead = focus share higher)."""
    big = comp[comp.large].copy()
    big["direction"] = np.where(big.gap_pts > 0, "ahead", "behind")
    big["small"] = (big.focus_base < SMALL_N) | (big.peers_base < SMALL_N)
    order = big.gap_pts.abs().sort_values(ascending=False).index
    return big.loc[order].reset_index(drop=True)


class ScoreRow(NamedTuple):
    metric: str
    label: str
    description: str
    framework: bool
    basis: str
    comparator: str | None
    target: float | None
    source: str | None
    value: float | None
    met: bool | None
    peer_median: float | None
    rank: int | None  # 1 = best in the target's direction, among the focus and its peers with data
    ranked: int  # how many institutions were ranked
    base: int  # the focus institution's denominator (offerings or enrolments)


def scorecard(profile: Profile, targets_frame: pd.DataFrame, focus: str, peers: list[str], filters: Filters,
              focus_sector: str | None) -> list[ScoreRow]:
    """Every target metric for the focus institution: value, most specific target, met, peer median, rank.

    The peer median is over the peers with data (not the focus); the rank is among the
    focus and those peers, ties sharing the better rank.
    """
    totals = profile.totals.set_index("institution_code")
    members = [c for c in [focus, *peers] if c in totals.index]
    group = totals.loc[members]
    period = filters.period[0] if len(filters.period) == 1 else None
    rows = []
    for metric in dict.fromkeys(targets_frame.sort_values(["sort_order", "target_id"]).metric):
        target = queries.choose_target(targets_frame, metric, period, focus_sector, focus)
        any_row = targets_frame[targets_frame.metric == metric].iloc[0]
        basis = target.basis if target is not None else "offerings"
        values = queries.metric_values(group, metric, basis) if len(group) else pd.Series(dtype=float)
        value = values.get(focus, np.nan) if focus in group.index else np.nan
        peer_values = values.drop(focus, errors="ignore").dropna()
        higher_is_better = target is None or target.comparator == ">="
        rank = None
        if not pd.isna(value):
            ranks = values.dropna().rank(ascending=not higher_is_better, method="min")
            rank = int(ranks[focus])
        met = None
        if target is not None and not pd.isna(value):
            met = bool(value >= target.value - 1e-12) if target.comparator == ">=" else \
                bool(value <= target.value + 1e-12)
        if metric == "completion_rate" or basis == "enrolments":
            base = int(totals.n_enrolments.get(focus, 0))
        else:
            base = int(totals.n_offerings.get(focus, 0))
        rows.append(ScoreRow(
            metric=metric, label=any_row.metric_label, description=any_row.metric_description,
            framework=bool(any_row.framework), basis="enrolments" if metric == "completion_rate" else basis,
            comparator=target.comparator if target is not None else None,
            target=float(target.value) if target is not None else None,
            source=target.source if target is not None else None,
            value=None if pd.isna(value) else float(value), met=met,
            peer_median=float(peer_values.median()) if len(peer_values) else None,
            rank=rank, ranked=int(values.notna().sum()), base=base))
    return rows


PEER_TABLE_COLUMNS = ("code", "name", "sector", "region", "offerings", "enrolments", "completions",
                      "completion_rate", "ce_share", "credit_share", "compliance", "note")


def peer_table(profile: Profile, institutions_frame: pd.DataFrame, focus: str, peers: list[str],
               vocab: Vocabulary) -> pd.DataFrame:
    """One row for the focus and one per peer: key figures, with small or missing data noted."""
    ref = institutions_frame.set_index("code")
    totals = profile.totals.set_index("institution_code")
    codes = [c for c in [focus, *peers] if c in ref.index]
    rows = []
    for code in codes:
        have = code in totals.index
        t = totals.loc[code] if have else None
        n = int(t.n_offerings) if have else 0
        enrol = int(t.n_enrolments) if have else 0

        def share(numerator, denominator):
            return round(float(numerator) / denominator, 4) if denominator else None

        note = "no offerings" if not n else ("n<5" if n < SMALL_N else "")
        rows.append({
            "code": code, "name": ref.at[code, "name"],
            "sector": vocab.label("sector", ref.at[code, "sector"]),
            "region": vocab.label("region", ref.at[code, "region"]),
            "offerings": n, "enrolments": enrol, "completions": int(t.n_completions) if have else 0,
            "completion_rate": share(t.n_completions, enrol) if have else None,
            "ce_share": share(t.ce_share__offerings, n) if have else None,
            "credit_share": share(t.credit_share__offerings, n) if have else None,
            "compliance": share(t.n_compliant, n) if have else None,
            "note": ("focus" + (f"; {note}" if note else "")) if code == focus else note,
            "is_focus": code == focus, "small": 0 < n < SMALL_N,
        })
    return pd.DataFrame(rows, columns=[*PEER_TABLE_COLUMNS, "is_focus", "small"])


TREND_MEASURES = {"offerings": "Offerings", "enrolments": "Enrolments", "completion_rate": "Completion rate"}


def trend(counts: pd.DataFrame, focus: str, peers: list[str], periods: list[str]) -> pd.DataFrame:
    """Per period and measure: the focus value, the peer median and how many peers reported.

    Columns: reporting_period, measure, focus, peer_median, peers_reporting. Periods in which
    an institution has no offerings leave it out of that period's median.
    """
    counts = counts.assign(completion_rate=counts.completions / counts.enrolments.where(counts.enrolments > 0))
    rows = []
    for period in periods:
        here = counts[counts.reporting_period == period].set_index("institution_code")
        peer_rows = here.reindex([p for p in peers if p in here.index])
        for measure in TREND_MEASURES:
            focus_value = here[measure].get(focus, np.nan)
            peer_vals = peer_rows[measure].dropna()
            rows.append({"reporting_period": period, "measure": measure,
                         "focus": None if pd.isna(focus_value) else float(focus_value),
                         "peer_median": float(peer_vals.median()) if len(peer_vals) else None,
                         "peers_reporting": int(len(peer_vals))})
    return pd.DataFrame(rows, columns=["reporting_period", "measure", "focus", "peer_median", "peers_reporting"])


def no_data_message(name: str, periods: list[str], statuses: dict[str, str], filtered: bool) -> str:
    """Why the focus institution has no offerings to compare, in words."""
    if not periods:
        return f"{name} has no accepted submission in any fiscal year."
    parts = []
    for period in periods:
        status = statuses.get(period)
        if status in ("accepted", "partial"):
            parts.append(f"its {period} submission has no offerings matching these filters")
        elif status == "rejected":
            parts.append(f"its latest {period} submission was rejected")
        else:
            parts.append(f"no {period} submission was received")
    have_accepted = any(statuses.get(p) in ("accepted", "partial") for p in periods)
    lead = (f"{name} has no offerings to compare for {', '.join(periods)}" if have_accepted and filtered
            else f"{name} has no accepted submission for {', '.join(periods)}")
    return f"{lead}: " + "; ".join(parts) + "."
