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

import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from dashboard.data import metrics as metric_registry
from dashboard.data import privacy
from dashboard.data import targets as target_rules
from dashboard.data.database import Reader
from dashboard.data.dimensions import BY_PARAM, NOT_REPORTED, NOT_REPORTED_LABEL, PERIOD
from dashboard.data.filters import Filters, Vocabulary
from dashboard.data.overview import metric_values
from dashboard.data.reference import institutions
from dashboard.data.state import PeerChoice
from dashboard.data.targets import Target

IGNORED_FILTERS = ("institution", "sector", "region")  # replaced by the focus and the peer group
SMALL_N = 5  # a share resting on fewer offerings than this is marked
LARGE_GAP_PTS = 10.0  # differences from the peer group at least this large are called out

# The composition charts, in their order (titles and columns from the dimension registry).
COMPOSITION = ("type", "delivery", "credit", "partner", "ce", "field")

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


class Profile(NamedTuple):
    """Per-institution counts for the filtered offerings (institutions without any are absent).

    totals: indexed by institution_code: n_offerings, n_enrolments, n_completions,
        n_compliant and the metric columns of overview.metric_counts.
    categories: indexed by institution_code, one column per (dimension, category): the
        offerings in that category (partner: offerings naming it).
    """

    totals: pd.DataFrame
    categories: pd.DataFrame


def compared_filters(filters: Filters) -> Filters:
    """The filters that narrow the compared offerings (the peer group replaces the rest)."""
    return filters.without(*IGNORED_FILTERS)


# --- queries ----------------------------------------------------------------------------------


def _category_columns(vocab: Vocabulary) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """SQL aggregates counting offerings per category, their parameters and (dimension, code) per column."""
    sql: list[str] = []
    params: list[str] = []
    keys: list[tuple[str, str]] = []
    for dim in COMPOSITION:
        dimension = BY_PARAM[dim]
        codes = vocab.codes(dim) + ([NOT_REPORTED] if dimension.optional else [])
        for code in codes:
            condition, values = dimension.category_sql(code)
            sql.append(f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END) AS c{len(keys)}")
            params += values
            keys.append((dim, code))
    return sql, params, keys


def institution_profile(reader: Reader, filters: Filters, vocab: Vocabulary) -> Profile:
    """Every institution's counts for the filtered offerings: one GROUP BY, cached per version.
    Counts of people hidden from the viewer are NaN, with ``<column>_mark`` beside them
    (dashboard.data.privacy)."""
    where, where_params = compared_filters(filters).where()
    raw = reader.cached(
        "institution_profile", (where, repr(where_params)), lambda: _profile(reader, where, where_params, vocab)
    )
    if not privacy.applies(reader):
        return raw
    return reader.cached(
        "institution_profile_shown",
        (privacy.scope_key(reader), where, repr(where_params)),
        lambda: Profile(_protect_totals(reader, raw.totals), raw.categories),
    )


def _protect_totals(reader: Reader, totals: pd.DataFrame) -> pd.DataFrame:
    """Each institution's counts of people against the province, sector and region totals;
    a share of enrolments whose complement is hidden is withheld too."""
    columns = ["n_enrolments", "n_completions", *[c for c in totals.columns if c.endswith("__enrolments")]]
    own, min_cell = privacy.own_institution(reader), reader.scope.min_cell
    shown = privacy.protect_by_institution(totals, columns, institutions(reader), own, min_cell)
    for col in columns[2:]:
        rest = (totals.n_enrolments - totals[col]).astype(float)
        small_rest = (rest > 0) & (rest < min_cell) & (totals.index != own)
        shown.loc[small_rest | shown.n_enrolments.isna(), col] = np.nan
    return shown


def _profile(reader: Reader, where: str, where_params: list[Any], vocab: Vocabulary) -> Profile:
    cat_sql, cat_params, keys = _category_columns(vocab)
    sql = PROFILE_SQL.format(
        compliant=metric_registry.COMPLIANT,
        metrics=metric_registry.numerator_sql(reader),
        categories=", ".join(cat_sql),
        where=where,
    )
    frame = reader.frame(sql, [*cat_params, *where_params]).set_index("institution_code").sort_index()
    frame = frame.fillna(0).astype("int64")
    cat_cols = [f"c{i}" for i in range(len(keys))]
    categories = frame[cat_cols].set_axis(pd.MultiIndex.from_tuples(keys, names=["dimension", "category"]), axis=1)
    return Profile(frame.drop(columns=cat_cols), categories)


def trend_counts(reader: Reader, filters: Filters) -> pd.DataFrame:
    """Offerings, enrolments and completions per period and institution, across all periods
    (cached per warehouse version and filters, like the profile); counts of people hidden
    from the viewer are NaN, protected per period like the profile's."""
    where, params = compared_filters(filters).where(exclude=(PERIOD,))
    raw = reader.cached("trend_counts", (where, repr(params)), lambda: _trend_counts(reader, where, params))
    if not privacy.applies(reader):
        return raw
    return reader.cached(
        "trend_counts_shown", (privacy.scope_key(reader), where, repr(params)), lambda: _protect_trend(reader, raw)
    )


def _protect_trend(reader: Reader, counts: pd.DataFrame) -> pd.DataFrame:
    own, min_cell, insts = privacy.own_institution(reader), reader.scope.min_cell, institutions(reader)
    parts = []
    for _period, frame in counts.groupby("reporting_period", sort=False):
        by_code = frame.set_index("institution_code")
        shown = privacy.protect_by_institution(by_code, ["enrolments", "completions"], insts, own, min_cell)
        parts.append(shown.reset_index())
    if not parts:
        return counts.assign(enrolments=counts.enrolments.astype(float), completions=counts.completions.astype(float))
    return pd.concat(parts, ignore_index=True)


def _trend_counts(reader: Reader, where: str, params: list[Any]) -> pd.DataFrame:
    frame = reader.frame(TREND_SQL.format(where=where), params)
    for col in ("offerings", "enrolments", "completions"):
        frame[col] = frame[col].fillna(0).astype("int64")
    return frame


STATUSES_SQL = """
SELECT institution_code, list(status) FROM reporting_status
WHERE list_contains(?::VARCHAR[], institution_code) AND list_contains(?::VARCHAR[], reporting_period)
GROUP BY institution_code
"""


def why_no_offerings(reader: Reader, codes: list[str], periods: list[str]) -> dict[str, str]:
    """code -> why an institution has no offerings here, in a peer table's words: "file
    rejected" (files came, none accepted), "not reported" (no file) or "no offerings" (an
    accepted file, but none of its offerings matches the filters)."""
    statuses = dict(reader.rows(STATUSES_SQL, [list(codes), list(periods)])) if codes else {}
    out = {}
    for code in codes:
        got = set(statuses.get(code) or ())
        out[code] = (
            "no offerings"
            if got & {"accepted", "partial"}
            else "file rejected"
            if "rejected" in got
            else "not reported"
        )
    return out


def reporting_statuses(reader: Reader, institution: str, periods: list[str]) -> dict[str, str]:
    """period -> accepted / partial / rejected / missing for one institution (absent: nothing received)."""
    return dict(reader.rows(STATUS_SQL, [institution, list(periods)]))


# --- the comparison, derived in pandas from the profile ------------------------------------------


def peer_codes(institutions_frame: pd.DataFrame, focus: str, choice: PeerChoice) -> list[str]:
    """The focus institution's peers (never the focus itself), in reference order."""
    # A few dozen rows: plain Python (to_dict("records") of Arrow strings cost 3 ms a call).
    rows = [
        {"code": c, "sector": s, "region": r}
        for c, s, r in zip(
            institutions_frame.code.to_list(), institutions_frame.sector.to_list(), institutions_frame.region.to_list()
        )
    ]
    me = next((r for r in rows if r["code"] == focus), None)
    if me is None:
        return []
    others = [r for r in rows if r["code"] != focus]
    if choice.kind in ("sector", "region"):
        others = [r for r in others if r[choice.kind] == me[choice.kind]]
    elif choice.kind == "custom":
        others = [r for r in others if r["code"] in choice.codes]
    return [str(r["code"]) for r in others]


def describe_peers(institutions_frame: pd.DataFrame, focus: str, choice: PeerChoice, vocab: Vocabulary) -> str:
    """Plain words for the peer group: 'colleges', 'institutions in Cariboo', ..."""
    ref = institutions_frame.set_index("code")
    if choice.kind == "sector" and focus in ref.index:
        return f"other institutions in the {vocab.label('sector', str(ref.at[focus, 'sector']))} sector"
    if choice.kind == "region" and focus in ref.index:
        return f"other institutions in {vocab.label('region', str(ref.at[focus, 'region']))}"
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
    cats, offerings = profile.categories, profile.totals.n_offerings.to_numpy()
    dims, codes = cats.columns.get_level_values(0).to_list(), cats.columns.get_level_values(1).to_list()
    index = cats.index.to_numpy(dtype=object)
    members = {
        "focus": index == focus,
        "peers": np.isin(index, list(peers)),
        "province": np.ones(len(cats), dtype=bool),
    }
    values = cats.to_numpy()
    columns: dict[str, Any] = {
        "dimension": dims,
        "category": codes,
        "label": [_category_label(d, c, vocab) for d, c in zip(dims, codes)],
    }
    for name, rows in members.items():  # numpy over the few institutions: this runs on every change
        base = int(offerings[rows].sum())
        n = values[rows].sum(axis=0).astype("int64")
        columns[f"{name}_n"] = n
        columns[f"{name}_base"] = np.full(len(codes), base, dtype="int64")
        columns[f"{name}_share"] = n / base if base else np.full(len(codes), np.nan)
    # Categories nobody in the province uses are left out (e.g. field 'not reported').
    out = pd.DataFrame(columns)
    out = out[out.province_n > 0].reset_index(drop=True)
    out["gap_pts"] = (out.focus_share - out.peers_share) * 100
    out["large"] = out.gap_pts.abs() >= LARGE_GAP_PTS - 1e-9
    return out


def _category_label(dim: str, code: str, vocab: Vocabulary) -> str:
    return NOT_REPORTED_LABEL if code == NOT_REPORTED else vocab.label(dim, code)


def standouts(comp: pd.DataFrame) -> pd.DataFrame:
    """The large differences from the peer group, largest first (ahead = focus share higher)."""
    big = comp[comp.large].copy()
    big["direction"] = np.where(big.gap_pts > 0, "ahead", "behind")
    big["small"] = (big.focus_base < SMALL_N) | (big.peers_base < SMALL_N)
    order = big.gap_pts.abs().sort_values(ascending=False).index
    return big.loc[order].reset_index(drop=True)


class ScoreRow(NamedTuple):
    # the fields of dashboard.data.targets.Target, in its order ...
    metric: str
    label: str
    description: str
    framework: bool
    basis: str
    comparator: str | None
    target: float | None
    source: str | None
    # ... then the focus institution's figures
    value: float | None
    met: bool | None
    peer_median: float | None
    rank: int | None  # 1 = best in the target's direction, among the focus and its peers with data
    ranked: int  # how many institutions were ranked
    base: int  # the focus institution's denominator (offerings or enrolments)


def scorecard(profile: Profile, targets: list[Target], focus: str, peers: list[str]) -> list[ScoreRow]:
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
        values = metric_values(group, t.metric, t.basis).to_numpy(dtype=float)
        known = ~np.isnan(values)
        mine = values[is_focus & known]
        value = float(mine[0]) if len(mine) else None
        peer_values = values[~is_focus & known]
        higher_is_better = t.comparator != "<="
        rank = None
        if value is not None:
            rank = int((peer_values > value).sum() if higher_is_better else (peer_values < value).sum()) + 1
        met = target_rules.met(t, value)
        base_col = "n_enrolments" if t.basis == "enrolments" else "n_offerings"
        rows.append(
            ScoreRow(
                *t,  # the target's fields, in ScoreRow's order (its value as ``target``)
                value=value,
                met=met,
                peer_median=float(np.median(peer_values)) if len(peer_values) else None,
                rank=rank,
                ranked=int(known.sum()),
                base=int(group[base_col].loc[focus]) if has_focus and pd.notna(group[base_col].loc[focus]) else 0,
            )
        )
    return rows


def peer_table(
    profile: Profile, institutions_frame: pd.DataFrame, focus: str, peers: list[str], vocab: Vocabulary
) -> pd.DataFrame:
    """One row for the focus and one per peer: key figures, with small or missing data noted."""
    # Plain arrays over the few institutions: pandas selections cost more than this table.
    names = dict(zip(institutions_frame.code.to_list(), institutions_frame[["name", "sector", "region"]].to_numpy()))
    codes = [c for c in [focus, *peers] if c in names]
    totals = profile.totals
    position = {code: i for i, code in enumerate(totals.index)}
    at = [position.get(c, -1) for c in codes]
    present = np.array([i >= 0 for i in at], dtype=bool)

    def column(name: str) -> np.ndarray:
        """The institutions' ``name`` counts in ``codes`` order, NaN for one without offerings."""
        values = totals[name].to_numpy(dtype=float)
        return np.array([values[i] if i >= 0 else np.nan for i in at], dtype=float)

    n = np.nan_to_num(column("n_offerings")).astype("int64")
    # Institutions without offerings have 0 people; a hidden count stays NaN (dashboard.data.privacy).
    enrol = np.where(present, column("n_enrolments"), 0.0)
    completions = np.where(present, column("n_completions"), 0.0)
    offered = np.where(n > 0, n, np.nan)

    def share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            rounded: np.ndarray = np.round(numerator / denominator, 4)
        return rounded

    note = np.where(n == 0, "no offerings", np.where(n < SMALL_N, "n<5", ""))
    is_focus = np.array([c == focus for c in codes], dtype=bool)
    note = np.where(is_focus, np.where(note == "", "focus", "focus; " + note), note)
    table = pd.DataFrame(
        {
            "code": codes,
            "name": [names[c][0] for c in codes],
            "sector": [vocab.label("sector", names[c][1]) for c in codes],
            "region": [vocab.label("region", names[c][2]) for c in codes],
            "offerings": n,
            "enrolments": _counts(pd.Series(enrol)),
            "completions": _counts(pd.Series(completions)),
            "completion_rate": share(completions, np.where(enrol > 0, enrol, np.nan)),
            "ce_share": share(column("ce_share__offerings"), offered),
            "credit_share": share(column("credit_share__offerings"), offered),
            "compliance": share(column("n_compliant"), offered),
            "note": note,
            "is_focus": is_focus,
            "small": (n > 0) & (n < SMALL_N),
        }
    )
    for col in ("n_enrolments", "n_completions"):
        if col + privacy.MARK in totals.columns:  # what to show for a hidden count
            marks = totals[col + privacy.MARK].to_list()
            table[col[2:] + privacy.MARK] = [marks[i] if i >= 0 and isinstance(marks[i], str) else "" for i in at]
    return table


def grid_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The peer table's rows as the grid gets them (and its download sorts them): None (JSON null)
    for missing values."""
    return [
        {str(k): (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
        for r in table.to_dict("records")
    ]


def _counts(values: pd.Series) -> np.ndarray:
    """Whole numbers, or None where hidden (an int column when nothing is)."""
    if values.notna().all():
        return values.astype("int64").to_numpy()
    return np.array([None if pd.isna(v) else int(v) for v in values], dtype=object)


TREND_MEASURES = {"offerings": "Offerings", "enrolments": "Enrolments", "completion_rate": "Completion rate"}


def trend(counts: pd.DataFrame, focus: str, peers: list[str], periods: list[str]) -> pd.DataFrame:
    """Per measure and period: the focus value, the peer median and how many peers reported.

    Columns: reporting_period, measure, focus, peer_median (NaN: no data), peers_reporting.
    Periods in which an institution has no offerings leave it out of that period's median.
    """
    # Plain arrays [period, institution] per measure (the focus first): a pandas pivot and
    # median per measure cost more than the SQL behind them on every change.
    members = list(dict.fromkeys([focus, *peers]))
    at_period = {p: i for i, p in enumerate(periods)}
    at_institution = {c: j for j, c in enumerate(members)}
    enrolments = counts.enrolments.to_numpy(dtype=float)
    columns = {
        "offerings": counts.offerings.to_numpy(dtype=float),
        "enrolments": enrolments,
        "completion_rate": np.divide(
            counts.completions.to_numpy(dtype=float), enrolments, out=np.full(len(counts), np.nan), where=enrolments > 0
        ),
    }
    grids = {m: np.full((len(periods), len(members)), np.nan) for m in TREND_MEASURES}
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
        frames.append(
            pd.DataFrame(
                {
                    "reporting_period": periods,
                    "measure": measure,
                    "focus": grid[:, 0],
                    "peer_median": median,
                    "peers_reporting": reporting.astype("int64"),
                }
            )
        )
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
    lead = (
        f"{name} has no offerings to compare for {', '.join(periods)}"
        if have_accepted and filtered
        else f"{name} has no accepted submission for {', '.join(periods)}"
    )
    return f"{lead}: " + "; ".join(parts) + "."


# --- the page's view model: everything /compare shows, from one focus and peer group -----------

NARROWING = tuple(p for p in BY_PARAM if p not in (*IGNORED_FILTERS, PERIOD))  # filters of the offerings' content


class Comparison(NamedTuple):
    focus: str
    name: str
    peers: list[str]
    peers_with_data: list[str]
    group_words: str  # the peer group in words
    periods: list[str]  # the fiscal years compared
    focus_n: int  # the focus institution's offerings
    province_n: int
    province_institutions: int
    ignored: list[str]  # filters the peer group replaces that are set
    table: pd.DataFrame  # peer_table
    no_data: str | None  # why the focus has nothing to compare, or None
    composition: pd.DataFrame | None
    standouts: pd.DataFrame | None
    scorecard: list[ScoreRow] | None


def compared_periods(filters: Filters, vocab: Vocabulary) -> list[str]:
    """The fiscal years compared: the filter's, or every one."""
    return list(filters.period) or vocab.codes(PERIOD)


def explained_peer_table(
    reader: Reader,
    profile: Profile,
    insts: pd.DataFrame,
    focus: str,
    peers: list[str],
    periods: list[str],
    vocab: Vocabulary,
) -> pd.DataFrame:
    """The peer table as the page shows it (and its download holds it): ``peer_table``, with
    why each institution without offerings has none."""
    table = peer_table(profile, insts, focus, peers, vocab)
    empty = table.code[table.offerings == 0].tolist()
    if empty:  # "no offerings" says too little when the file was rejected or never came
        reasons = why_no_offerings(reader, empty, periods)
        table["note"] = [
            note.replace("no offerings", reasons[code]) if code in reasons else note
            for code, note in zip(table.code, table.note)
        ]
    return table


def comparison(reader: Reader, filters: Filters, focus: str, choice: PeerChoice, vocab: Vocabulary) -> Comparison:
    """The comparison of ``focus`` with its peer group under ``filters``."""
    insts = institutions(reader)
    ref = insts.set_index("code")
    name = str(ref.at[focus, "name"])
    peers = peer_codes(insts, focus, choice)
    profile = institution_profile(reader, filters, vocab)
    totals = profile.totals
    focus_n = int(totals.n_offerings.get(focus, 0))
    periods = compared_periods(filters, vocab)
    table = explained_peer_table(reader, profile, insts, focus, peers, periods, vocab)
    common = Comparison(
        focus,
        name,
        peers,
        [p for p in peers if p in totals.index],
        describe_peers(insts, focus, choice, vocab),
        periods,
        focus_n,
        int(totals.n_offerings.sum()),
        len(totals),
        # the institution filter that names the focus alone is the focus (the page keeps them one)
        [p for p in IGNORED_FILTERS if filters.get(p) and not (p == "institution" and filters.get(p) == (focus,))],
        table,
        None,
        None,
        None,
        None,
    )
    if focus_n == 0:
        narrowed = any(filters.get(p) for p in NARROWING)
        why = no_data_message(name, periods, reporting_statuses(reader, focus, periods), filtered=narrowed)
        return common._replace(no_data=why)
    comp = composition(profile, focus, peers, vocab)
    period = filters.period[0] if len(filters.period) == 1 else None
    card = scorecard(
        profile, target_rules.targets_for(reader, period, str(ref.at[focus, "sector"]), focus), focus, peers
    )
    return common._replace(composition=comp, standouts=standouts(comp), scorecard=card)


def focus_trend(reader: Reader, filters: Filters, focus: str, choice: PeerChoice, vocab: Vocabulary) -> pd.DataFrame:
    """``trend`` of the focus and its peer group across every fiscal year."""
    peers = peer_codes(institutions(reader), focus, choice)
    return trend(trend_counts(reader, filters), focus, peers, vocab.codes(PERIOD))
