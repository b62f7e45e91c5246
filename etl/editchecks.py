"""Edit checks across years: what in a validated submission needs an explanation.

The row rules of the submission format (etl.validate) say whether a row may be stored.
Edit checks compare a submission as a whole with the institution's *current* submission
for the previous fiscal year in the warehouse, as statistical offices do before they
accept a return, and list what a person must explain before the file is sent:

- ``offerings_change``, ``enrolments_change``, ``completion_rate_change``: the figure
  moved by more than ``threshold`` (a share of the previous year's figure; default 0.5,
  setting MCRED_EDIT_THRESHOLD) in either direction. The completion rate is completions
  over enrolments, summed over the offerings, and its change is relative too (80% to
  35% is -56%). From a previous figure of 0 any increase is flagged; a completion rate
  without enrolments in either year is not compared.
- ``offering_ids_disappeared``: offering ids of the previous year's current submission
  that this submission does not have (compared exactly, as stored).
- ``credit_share_flip:<sector>``: the credit share (credit-bearing offerings over
  offerings, the ``credit_share`` rule of etl.spec) of the institution's sector in the
  previous year, computed twice over the sector's current offerings of that year: as
  stored, and with this institution's offerings replaced by this submission's. A flip is
  a change of side of one half: "more than half credit-bearing" is true one way and
  false the other. The other institutions stay as they were, so the check says what this
  submission alone does to its sector, whichever institutions have sent the new year.
- one check per framework warning rule present in the submission (``over_duration``,
  ``no_assessment``, ``no_partner``: the validator's rule codes, its reasons and its
  rows), with or without a previous year.

Without a warehouse connection, or without a current submission of the previous fiscal
year, only the framework checks are made. Nothing here writes: the functions read the
warehouse and the submission, and return values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from etl import spec
from etl.validate.checks import ROW_CHECKS

DEFAULT_THRESHOLD = 0.5

# Columns of ValidatedSubmission.offerings: the offering table's names (source_row: the row of
# the institution's own file).
OFFERING_COLUMNS = (
    "source_row",
    "offering_id",
    "credit_status",
    "duration_hours",
    "assessment",
    "partner_categories",
    "enrolments",
    "completions",
)

# Row numbers and ids quoted in a message (all of them are in EditCheck.rows).
_SHOWN = 10

_CREDIT = spec.metric_flag_sql(spec.METRICS_BY_NAME["credit_share"])


@dataclass(frozen=True)
class EditCheck:
    """One thing that needs one explanation."""

    code: str  # stable id: see the module's docstring
    message: str  # one sentence with the figures
    rows: tuple[int, ...] = ()  # rows of the institution's own file, when the check is per row


@dataclass(frozen=True, eq=False)
class ValidatedSubmission:
    """One validated submission, as edit checks see it: its institution, its fiscal year
    and the offerings that loading it would store.

    In etl.validate a submission is a ``SubmissionGroup`` of a ``ValidatedFile``
    (``validate_batch``), whose rows live in temporary objects of the validating
    connection only until ``release``; its stored rows are those without an error. This
    is those rows, kept: ``offerings`` is an Arrow table with OFFERING_COLUMNS, typed as
    the offering table types them. ``etl.check.check_files`` returns one for every
    submission that would be accepted or partial; :meth:`from_offerings` reads one from
    any database with an ``offering`` table (a warehouse, or the check's scratch copy).
    """

    institution_code: str
    reporting_period: str
    offerings: Any  # pyarrow.Table (pyarrow has no types)

    @classmethod
    def from_offerings(cls, con: duckdb.DuckDBPyConnection, submission_id: int) -> ValidatedSubmission:
        """The submission ``submission_id`` of the ``offering`` table on ``con``."""
        found = con.execute(
            "SELECT institution_code, reporting_period FROM submission WHERE submission_id = ?", [submission_id]
        ).fetchall()
        row = found[0] if found else None
        if row is None or row[0] is None or row[1] is None:
            raise ValueError(f"no submission {submission_id} with an institution and a fiscal year")
        table = con.sql(
            f"SELECT {', '.join(OFFERING_COLUMNS)} FROM offering WHERE submission_id = $id ORDER BY source_row",
            params={"id": submission_id},
        ).to_arrow_table()
        return cls(str(row[0]), str(row[1]), table)


def previous_period(period: str) -> str:
    """'2024/25' -> '2023/24'."""
    first = int(period[:4]) - 1
    return f"{first}/{(first + 1) % 100:02d}"


def previous_submission(
    connection: duckdb.DuckDBPyConnection, submission: ValidatedSubmission
) -> tuple[int, str] | None:
    """(submission id, fiscal year) of the institution's current submission for the fiscal year
    before ``submission``'s, the one edit checks compare it with; None when there is none."""
    period = previous_period(submission.reporting_period)
    found = connection.execute(
        "SELECT max(submission_id) FROM current_offerings WHERE institution_code = ? AND reporting_period = ?",
        [submission.institution_code, period],
    ).fetchall()
    return (int(found[0][0]), period) if found and found[0][0] is not None else None


def edit_checks(
    connection: duckdb.DuckDBPyConnection | None,
    submission: ValidatedSubmission,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[EditCheck]:
    """The edit checks of ``submission`` against the warehouse on ``connection`` (None: no
    warehouse, framework checks only), in a fixed order: the changes, the disappeared ids,
    the credit-share flip, then the framework rules."""
    if not threshold > 0:
        raise ValueError(f"the edit-check threshold must be a share above 0 (got {threshold})")
    mine = _Figures.of_submission(submission)
    checks: list[EditCheck] = []
    previous = None if connection is None else _previous(connection, submission)
    if previous is not None and connection is not None:
        checks += _changes(previous, mine, threshold, submission.reporting_period)
        gone = sorted(previous.offering_ids - mine.offering_ids)
        if gone:
            checks.append(
                EditCheck(
                    "offering_ids_disappeared",
                    f"{_count(len(gone), 'offering')} of {previous.period} {'is' if len(gone) == 1 else 'are'} "
                    f"not in this submission: {_listed(gone)}.",
                )
            )
        flip = _credit_flip(connection, submission, previous, mine)
        if flip is not None:
            checks.append(flip)
    return checks + _framework_checks(submission)


# --- figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Figures:
    period: str
    offerings: int
    enrolments: int
    completions: int
    credit_bearing: int
    offering_ids: frozenset[str]

    @classmethod
    def of_submission(cls, submission: ValidatedSubmission) -> _Figures:
        scratch = duckdb.connect(":memory:")  # the submission's own rows: the given connection is not touched
        try:
            scratch.register("rows", submission.offerings)
            n, enrolments, completions, credit = _one(
                scratch,
                f"SELECT count(*), coalesce(sum(enrolments), 0), coalesce(sum(completions), 0), "
                f"count(*) FILTER (WHERE {_CREDIT}) FROM rows",
            )
            ids = frozenset(r[0] for r in scratch.execute("SELECT DISTINCT offering_id FROM rows").fetchall())
        finally:
            scratch.close()
        return cls(submission.reporting_period, n, enrolments, completions, credit, ids)

    @property
    def completion_rate(self) -> float | None:
        return self.completions / self.enrolments if self.enrolments else None


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> tuple[int, ...]:
    [row] = con.execute(sql, params or []).fetchall()  # an aggregate has one row
    return tuple(int(v or 0) for v in row)


def _previous(con: duckdb.DuckDBPyConnection, submission: ValidatedSubmission) -> _Figures | None:
    """The institution's current submission for the fiscal year before, as figures."""
    period = previous_period(submission.reporting_period)
    params: list[object] = [submission.institution_code, period]
    where = "WHERE institution_code = ? AND reporting_period = ?"
    n, enrolments, completions, credit = _one(
        con,
        "SELECT count(*), coalesce(sum(enrolments), 0), coalesce(sum(completions), 0), "
        f"count(*) FILTER (WHERE {_CREDIT}) FROM current_offerings {where}",
        params,
    )
    if n == 0:
        return None
    ids = frozenset(
        r[0] for r in con.execute(f"SELECT DISTINCT offering_id FROM current_offerings {where}", params).fetchall()
    )
    return _Figures(period, n, enrolments, completions, credit, ids)


def _changes(previous: _Figures, mine: _Figures, threshold: float, period: str) -> list[EditCheck]:
    out = []
    for code, label, old, new in (
        ("offerings_change", "Offerings", previous.offerings, mine.offerings),
        ("enrolments_change", "Enrolments", previous.enrolments, mine.enrolments),
    ):
        if _moved(old, new, threshold):
            out.append(
                EditCheck(code, _change_sentence(label, f"{old:,}", f"{new:,}", old, new, previous.period, period))
            )
    old_rate, new_rate = previous.completion_rate, mine.completion_rate
    if old_rate is not None and new_rate is not None and _moved(old_rate, new_rate, threshold):
        out.append(
            EditCheck(
                "completion_rate_change",
                _change_sentence(
                    "The completion rate",
                    f"{old_rate:.1%}",
                    f"{new_rate:.1%}",
                    old_rate,
                    new_rate,
                    previous.period,
                    period,
                ),
            )
        )
    return out


def _moved(old: float, new: float, threshold: float) -> bool:
    """More than ``threshold`` of the previous figure, either way (from 0: any increase)."""
    if old == 0:
        return new > 0
    return abs(new - old) / old > threshold


def _change_sentence(label: str, old_text: str, new_text: str, old: float, new: float, before: str, now: str) -> str:
    verb = "rose" if new > old else "fell"
    share = f" ({(new - old) / old:+.0%})" if old else ""
    return f"{label} {verb} from {old_text} in {before} to {new_text} in {now}{share}."


# --- the sector's credit share ------------------------------------------------------------


def _credit_flip(
    con: duckdb.DuckDBPyConnection, submission: ValidatedSubmission, previous: _Figures, mine: _Figures
) -> EditCheck | None:
    found = con.execute("SELECT sector FROM institutions WHERE code = ?", [submission.institution_code]).fetchall()
    if not found:
        return None
    sector = str(found[0][0])
    n, credit = _one(
        con,
        f"SELECT count(*), count(*) FILTER (WHERE {_CREDIT}) FROM current_offerings "
        "WHERE reporting_period = ? AND sector = ?",
        [previous.period, sector],
    )
    n_with = n - previous.offerings + mine.offerings
    credit_with = credit - previous.credit_bearing + mine.credit_bearing
    if n == 0 or n_with == 0:
        return None
    before, after = credit / n, credit_with / n_with
    if (before > 0.5) == (after > 0.5):
        return None
    name = {c.code: c.label for c in spec.CODE_LISTS["sector"].codes}.get(sector, sector).lower()
    return EditCheck(
        f"credit_share_flip:{sector}",
        f"With this submission in place of {submission.institution_code}'s {previous.period} one, the "
        f"{name} sector's credit-bearing share of {previous.period} goes from {before:.1%} to {after:.1%}: "
        f"{'no longer' if before > 0.5 else 'now'} more than half.",
    )


# --- framework warnings -------------------------------------------------------------------

_VALIDATOR_CHECKS = {chk.rule: chk for _, chk in ROW_CHECKS}

# Framework warning rule -> (its metric in etl.spec, what the flagged offerings do).
_FRAMEWORK = {
    "over_duration": ("duration_compliance", f"run {spec.MAX_MICRO_HOURS} hours or more"),
    "no_assessment": ("assessment_share", "have no assessment"),
    "no_partner": ("partner_alignment", "name no partner"),
}
assert set(_FRAMEWORK) == set(spec.BREACH_COLUMNS), "one edit check per framework warning"


def framework_reason(rule: str) -> str:
    """The validator's reason for a framework warning, as its message ends ("the B.C.
    framework ..."): the final text literal of the message SQL in etl.validate.checks."""
    message = _VALIDATOR_CHECKS[rule].message
    return message.rsplit(": ", 1)[-1].removesuffix("'").replace("''", "'")


def _framework_checks(submission: ValidatedSubmission) -> list[EditCheck]:
    scratch = duckdb.connect(":memory:")
    try:
        scratch.register("rows", submission.offerings)
        out = []
        for rule, (metric, doing) in _FRAMEWORK.items():
            flag = spec.metric_flag_sql(spec.METRICS_BY_NAME[metric])
            rows = tuple(
                int(r[0])
                for r in scratch.execute(f"SELECT source_row FROM rows WHERE NOT {flag} ORDER BY source_row").fetchall()
            )
            if rows:
                out.append(
                    EditCheck(
                        rule,
                        f"{_count(len(rows), 'offering')} {_verb(doing, len(rows))} "
                        f"({'row' if len(rows) == 1 else 'rows'} {_listed([str(r) for r in rows])}): "
                        f"{framework_reason(rule)}.",
                        rows,
                    )
                )
        return out
    finally:
        scratch.close()


def _verb(doing: str, n: int) -> str:
    # "have no assessment" -> "has no assessment"; "run ..." -> "runs ..."; "name ..." -> "names ..."
    if n != 1:
        return doing
    first, _, rest = doing.partition(" ")
    return ("has" if first == "have" else first + "s") + " " + rest


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN:,} more" if len(items) > _SHOWN else "")


__all__ = [
    "DEFAULT_THRESHOLD",
    "OFFERING_COLUMNS",
    "EditCheck",
    "ValidatedSubmission",
    "edit_checks",
    "framework_reason",
    "previous_period",
    "previous_submission",
]
