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
import warnings
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
import pandas as pd

from dashboard.data import overview as queries
from dashboard.data.database import Database
from dashboard.data.filters import Filters, Vocabulary

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
    """Per-institution counts for the filtered offerings (institutions without any are absent).

    totals: indexed by institution_code: n_offerings, n_enrolments, n_completions,
        n_compliant and the metric columns of queries.metric_counts.
    categories: indexed by institution_code, one column per (dimension, category): the
        offerings in that category (partner: offerings naming it).
    """

    totals: pd.DataFrame
    categories: pd.DataFrame


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
    frame = db.frame(sql, [*cat_params, *where_params]).set_index("institution_code").sort_index()
    frame = frame.fillna(0).astype("int64")
    cat_cols = [f"c{i}" for i in range(len(keys))]
    categories = frame[cat_cols].set_axis(pd.MultiIndex.from_tuples(keys, names=["dimension", "category"]),
                                          axis=1)
    profile = Profile(frame.drop(columns=cat_cols), categories)
    with _profile_lock:
        _profile_cache[key] = profile
        while len(_profile_cache) > PROFILE_CACHE_SIZE:
            _profile_cache.popitem(last=False)
    return profile


_institutions_cache: dict[tuple, pd.DataFrame] = {}


def institutions(db: Database) -> pd.DataFrame:
    """The institutions reference: code, name, sector, region, in reference order (cached per version)."""
    key = (str(db.path), db.version)
    cached = _institutions_cache.get(key)
    if cached is None:
        cached = db.frame("SELECT code, name, sector, region FROM institutions ORDER BY sort_order, code")
        with _profile_lock:
            _institutions_cache.clear()
            _institutions_cache[key] = cached
    return cached


_trend_cache: OrderedDict[tuple, pd.DataFrame] = OrderedDict()


def trend_counts(db: Database, filters: Filters) -> pd.DataFrame:
    """Offerings, enrolments and completions per period and institution, across all periods
    (cached per warehouse version and filters, like the profile)."""
    where, params = compared_filters(filters).where(exclude=("period",))
    key = (str(db.path), db.version, where, repr(params))
    with _profile_lock:
        if key in _trend_cache:
            _trend_cache.move_to_end(key)
            return _trend_cache[key]
    frame = db.frame(TREND_SQL.format(where=where), params)
    for col in ("offerings", "enrolments", "completions"):
        frame[col] = frame[col].fillna(0).astype("int64")
    with _profile_lock:
        _trend_cache[key] = frame
        while len(_trend_cache) > PROFILE_CACHE_SIZE:
            _trend_cache.popitem(last=False)
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
    cats, offerings = profile.categories, profile.totals.n_offerings
    out = pd.DataFrame({"dimension": cats.columns.get_level_values(0),
                        "category": cats.columns.get_level_values(1)})
    out["label"] = [_category_label(d, c, vocab) for d, c in zip(out.dimension, out.category)]
    members = {"focus": cats.index == focus, "peers": cats.index.isin(peers),
               "province": np.ones(len(cats), dtype=bool)}
    values = cats.to_numpy()
    for name, rows in members.items():
        base = int(offerings.to_numpy()[rows].sum())
        out[f"{name}_n"] = values[rows].sum(axis=0).astype("int64")
        out[f"{name}_base"] = base
        out[f"{name}_share"] = out[f"{name}_n"] / base if base else np.nan
    # Categories nobody in the province uses are left out (e.g. field 'not reported').
    out = out[out.province_n > 0].reset_index(drop=True)
    out["gap_pts"] = (out.focus_share - out.peers_share) * 100
    out["large"] = out.gap_pts.abs() >= LARGE_GAP_PTS - 1e-9
    return out


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


class TargetChoice(NamedTuple):
    """One target metric and the target that applies to an institution (comparator None: no target)."""

    metric: str
    label: str
    description: str
    framework: bool
    basis: str
    comparator: str | None
    value: float | None
    source: str | None


def choose_targets(targets_frame: pd.DataFrame, period: str | None, sector: str | None,
                   institution: str) -> list[TargetChoice]:
    """Every target metric, in display order, with its most specific target for this institution
    (institution, then sector, then fiscal year, then provincial: queries.choose_target)."""
    by_metric: dict[str, list[dict]] = {}
    for row in targets_frame.sort_values(["sort_order", "target_id"]).to_dict("records"):
        by_metric.setdefault(row["metric"], []).append(row)
    out = []
    for metric, candidates in by_metric.items():  # plain records: a frame per metric cost ~50 ms
        best = queries.most_specific(candidates, period, sector, institution)
        target = None if best is None else candidates[best]
        first = candidates[0]
        basis = "enrolments" if metric == "completion_rate" else (str(target["basis"]) if target is not None
                                                                  else "offerings")
        out.append(TargetChoice(
            metric, str(first["metric_label"]), str(first["metric_description"]), bool(first["framework"]), basis,
            None if target is None else str(target["comparator"]), None if target is None else float(target["value"]),
            None if target is None else str(target["source"])))
    return out


_targets_cache: OrderedDict[tuple, list[TargetChoice]] = OrderedDict()


def targets_for(db: Database, filters: Filters, sector: str | None, institution: str) -> list[TargetChoice]:
    """choose_targets for the warehouse's targets and the selected period (cached per version)."""
    period = filters.period[0] if len(filters.period) == 1 else None
    key = (str(db.path), db.version, period, sector, institution)
    with _profile_lock:
        if key in _targets_cache:
            return _targets_cache[key]
    choices = choose_targets(queries.targets(db), period, sector, institution)
    with _profile_lock:
        _targets_cache[key] = choices
        while len(_targets_cache) > 4 * PROFILE_CACHE_SIZE:
            _targets_cache.popitem(last=False)
    return choices


def scorecard(profile: Profile, targets: list[TargetChoice], focus: str, peers: list[str]) -> list[ScoreRow]:
    """Every target metric for the focus institution: value, target, met, peer median, rank.

    The peer median is over the peers with data (not the focus); the rank is among the
    focus and those peers, ties sharing the better rank.
    """
    totals = profile.totals
    group = totals[totals.index.isin([focus, *peers])]
    has_focus = focus in group.index
    is_focus = group.index.to_numpy() == focus
    rows = []
    for t in targets:  # numpy rather than a Series per step: a scorecard is on every change
        values = queries.metric_values(group, t.metric, t.basis).to_numpy(dtype=float)
        known = ~np.isnan(values)
        mine = values[is_focus & known]
        value = float(mine[0]) if len(mine) else None
        peer_values = values[~is_focus & known]
        higher_is_better = t.comparator != "<="
        rank = met = None
        if value is not None:
            rank = int((peer_values > value).sum() if higher_is_better else (peer_values < value).sum()) + 1
            if t.comparator is not None:
                met = value >= t.value - 1e-12 if higher_is_better else value <= t.value + 1e-12
        base_col = "n_enrolments" if t.basis == "enrolments" else "n_offerings"
        rows.append(ScoreRow(
            metric=t.metric, label=t.label, description=t.description, framework=t.framework, basis=t.basis,
            comparator=t.comparator, target=t.value, source=t.source, value=value,
            met=None if met is None else bool(met),
            peer_median=float(np.median(peer_values)) if len(peer_values) else None,
            rank=rank, ranked=int(known.sum()), base=int(group.at[focus, base_col]) if has_focus else 0))
    return rows


PEER_TABLE_COLUMNS = ("code", "name", "sector", "region", "offerings", "enrolments", "completions",
                      "completion_rate", "ce_share", "credit_share", "compliance", "note")


def peer_table(profile: Profile, institutions_frame: pd.DataFrame, focus: str, peers: list[str],
               vocab: Vocabulary) -> pd.DataFrame:
    """One row for the focus and one per peer: key figures, with small or missing data noted."""
    ref = institutions_frame.set_index("code")
    codes = [c for c in [focus, *peers] if c in ref.index]
    t = profile.totals.reindex(codes)
    n = t.n_offerings.fillna(0).astype("int64")
    enrol = t.n_enrolments.fillna(0).astype("int64")
    offered = n.where(n > 0)

    def share(numerator, denominator):
        return (numerator / denominator).round(4)

    note = np.where(n == 0, "no offerings", np.where(n < SMALL_N, "n<5", ""))
    is_focus = np.array([c == focus for c in codes], dtype=bool)
    note = np.where(is_focus, np.where(note == "", "focus", "focus; " + note), note)
    table = pd.DataFrame({
        "code": codes,
        "name": ref.name.reindex(codes).to_numpy(),
        "sector": [vocab.label("sector", s) for s in ref.sector.reindex(codes)],
        "region": [vocab.label("region", r) for r in ref.region.reindex(codes)],
        "offerings": n.to_numpy(), "enrolments": enrol.to_numpy(),
        "completions": t.n_completions.fillna(0).astype("int64").to_numpy(),
        "completion_rate": share(t.n_completions, enrol.where(enrol > 0)).to_numpy(),
        "ce_share": share(t.ce_share__offerings, offered).to_numpy(),
        "credit_share": share(t.credit_share__offerings, offered).to_numpy(),
        "compliance": share(t.n_compliant, offered).to_numpy(),
        "note": note, "is_focus": is_focus, "small": ((n > 0) & (n < SMALL_N)).to_numpy(),
    })
    return table


TREND_MEASURES = {"offerings": "Offerings", "enrolments": "Enrolments", "completion_rate": "Completion rate"}


def trend(counts: pd.DataFrame, focus: str, peers: list[str], periods: list[str]) -> pd.DataFrame:
    """Per measure and period: the focus value, the peer median and how many peers reported.

    Columns: reporting_period, measure, focus, peer_median (NaN: no data), peers_reporting.
    Periods in which an institution has no offerings leave it out of that period's median.
    """
    # Plain arrays [period, institution] per measure (the focus first): a pandas pivot and
    # median per measure cost more than the SQL behind them on every change.
    institutions = list(dict.fromkeys([focus, *peers]))
    at_period = {p: i for i, p in enumerate(periods)}
    at_institution = {c: j for j, c in enumerate(institutions)}
    enrolments = counts.enrolments.to_numpy(dtype=float)
    columns = {"offerings": counts.offerings.to_numpy(dtype=float), "enrolments": enrolments,
               "completion_rate": np.divide(counts.completions.to_numpy(dtype=float), enrolments,
                                            out=np.full(len(counts), np.nan), where=enrolments > 0)}
    grids = {m: np.full((len(periods), len(institutions)), np.nan) for m in TREND_MEASURES}
    for k, (period, code) in enumerate(zip(counts.reporting_period, counts.institution_code)):
        i, j = at_period.get(period), at_institution.get(code)
        if i is not None and j is not None:
            for measure, grid in grids.items():
                grid[i, j] = columns[measure][k]
    frames = []
    for measure, grid in grids.items():
        peer_grid = grid[:, 1:]  # no peers: no columns
        reporting = (~np.isnan(peer_grid)).sum(axis=1)
        with warnings.catch_warnings():  # a period no peer reported: NaN, as intended
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(peer_grid, axis=1) if peer_grid.shape[1] else np.full(len(periods), np.nan)
        frames.append(pd.DataFrame({
            "reporting_period": periods, "measure": measure, "focus": grid[:, 0],
            "peer_median": median, "peers_reporting": reporting.astype("int64"),
        }))
    return pd.concat(frames, ignore_index=True)


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
