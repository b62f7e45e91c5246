"""The checks of a batch: each a rule that fires on a row of ``typed``, written as SQL,
with the message a person reads. Checks that the batch's :class:`Facts` show cannot fire
are left out of the scan."""

from __future__ import annotations

from dataclasses import dataclass

from etl import spec
from etl.spec import COLUMNS, SEVERITY_ERROR, SEVERITY_WARNING
from etl.sql import identifier, literal
from etl.validate.matching import MAPPED_KINDS

MAX_ISSUE_VALUE_CHARS = 500


def display_sql(expr: str) -> str:
    """The value shown with an issue, cut past MAX_ISSUE_VALUE_CHARS."""
    return (
        f"CASE WHEN length({expr}) > {MAX_ISSUE_VALUE_CHARS} THEN left({expr}, {MAX_ISSUE_VALUE_CHARS}) "
        f"|| '... (' || length({expr}) || ' characters)' ELSE {expr} END"
    )


def _short(expr: str) -> str:
    # The value quoted for a message, cut to a readable length.
    return f"'''' || CASE WHEN length({expr}) > 60 THEN left({expr}, 57) || '...' ELSE {expr} END || ''''"


class Facts:
    """What the batch's columns can and cannot hold, from Arrow statistics: a check that
    cannot fire on the batch is left out of the issue scan. Unknown means possible."""

    def __init__(self) -> None:
        self.nulls: dict[str, int] = {}  # column -> cells missing
        self.typed_nulls: dict[str, int] = {}  # column -> typed values missing (Arrow-typed columns)
        self.ranges: dict[
            str, tuple[float | None, float | None]
        ] = {}  # number column -> (min, max) of its typed values
        self.max_bytes: dict[str, int] = {}  # column -> longest cell in bytes (>= its characters)
        self.problems: set[str] | None = None  # partner cells' problems, when known
        self.periods: tuple[str, str] | None = None  # the fiscal years collected (first, last)

    def missing(self, c: str) -> bool:
        return self.nulls.get(c, 1) > 0

    def invalid(self, c: str) -> bool:
        return c not in self.typed_nulls or self.typed_nulls[c] > self.nulls.get(c, 0)

    def below(self, c: str, bound: float, inclusive: bool) -> bool:
        low = self.ranges[c][0] if c in self.ranges else float("-inf")
        return low is not None and (low <= bound if inclusive else low < bound)

    def above(self, c: str, bound: float) -> bool:
        high = self.ranges[c][1] if c in self.ranges else float("inf")
        return high is not None and high > bound

    def longer(self, c: str, length: int) -> bool:
        return self.max_bytes.get(c, length + 1) > length

    def partner_problem(self, prefix: str) -> bool:
        return self.problems is None or any(p.startswith(prefix) for p in self.problems)


@dataclass(frozen=True)
class Check:
    rule: str
    severity: str
    column: str
    condition: str  # SQL over typed
    message: str  # SQL expression
    expected: str
    value: str | None = None  # SQL expression for the value shown; default raw_<column>


def _code_check(col: spec.Column, shown: str, periods: tuple[str, str] | None = None) -> tuple[str, str] | None:
    """(rule, message SQL) of a coded column whose value did not match; None for partner lists,
    whose problems come with their own wording (see PARTNER_CHECKS)."""
    if col.kind == spec.INSTITUTION:
        return (
            "unknown_institution",
            f"{shown} || ' is not a known institution code or name (see the institutions reference)'",
        )
    if col.kind == spec.PERIOD:
        collected = f", one the ministry collects: {periods[0]} to {periods[1]}" if periods else ""
        return (
            "invalid_period",
            f"{shown} || ' is not a fiscal year{collected}: write it as 2024/25 (two consecutive years)'",
        )
    if col.kind == spec.BOOLEAN:
        return "invalid_boolean", f"{shown} || ' is not a yes/no value for {col.name} (expected {col.accepted})'"
    if col.kind == spec.CODES:
        return None
    assert col.code_list is not None
    label = spec.CODE_LISTS[col.code_list].label.lower()
    return "invalid_code", f"{shown} || ' is not a {label} (expected {col.accepted})'"


# Kinds whose typed value is NULL for a cell that is not empty but invalid: (rule, what was expected).
_INVALID_WHEN_UNTYPED = {
    spec.DATE: ("invalid_date", "a date"),
    spec.NOC_LIST: ("invalid_noc", "a list of NOC 2021 codes"),
}


def _column_checks(col: spec.Column, present_in: dict[str, list[int]] | None, facts: Facts) -> list[Check]:
    """The checks of one column from its description in etl.spec: required, its kind, its range, its length."""
    c = col.name
    raw, val = identifier("raw_" + c), identifier(c)
    shown = _short(raw)
    untyped = f"{raw} IS NOT NULL AND {val} IS NULL"
    out: list[Check] = []
    if col.required and facts.missing(c):
        files = ", ".join(str(n) for n in (present_in or {}).get(c, []))
        in_files = f" AND _file IN ({files})" if present_in is not None else ""
        empty = f"{raw} IS NULL" if col.kind == spec.TEXT else f"{raw} IS NULL AND {val} IS NULL"
        out.append(
            Check(
                "missing_value",
                SEVERITY_ERROR,
                c,
                f"{empty}{in_files}",
                literal(f"{c} is required but empty (expected {col.accepted})"),
                col.accepted,
            )
        )
    if col.kind in MAPPED_KINDS:
        code = _code_check(col, shown, facts.periods)
        if code and facts.invalid(c):
            out.append(Check(code[0], SEVERITY_ERROR, c, untyped, code[1], col.accepted))
    elif col.kind in (spec.NUMBER, spec.INTEGER):
        what = "a whole number" if col.kind == spec.INTEGER else "a number"
        if facts.invalid(c):
            out.append(
                Check(
                    "invalid_number",
                    SEVERITY_ERROR,
                    c,
                    untyped,
                    f"{shown} || ' is not {what} (expected {col.accepted})'",
                    col.accepted,
                )
            )
        if col.minimum is not None and facts.below(c, col.minimum, col.minimum_exclusive):
            op, words = ("<=", "greater than") if col.minimum_exclusive else ("<", "at least")
            out.append(
                Check(
                    "out_of_range",
                    SEVERITY_ERROR,
                    c,
                    f"{val} {op} {col.minimum}",
                    f"{shown} || ' is out of range: {c} must be {words} {col.minimum:g}'",
                    col.accepted,
                )
            )
        if col.maximum is not None and facts.above(c, col.maximum):
            out.append(
                Check(
                    "out_of_range",
                    SEVERITY_ERROR,
                    c,
                    f"{val} > {col.maximum}",
                    f"{shown} || ' is out of range: {c} must be at most {col.maximum:g}'",
                    col.accepted,
                )
            )
    elif col.kind in _INVALID_WHEN_UNTYPED and facts.invalid(c):
        rule, what = _INVALID_WHEN_UNTYPED[col.kind]
        out.append(
            Check(
                rule, SEVERITY_ERROR, c, untyped, f"{shown} || ' is not {what} (expected {col.accepted})'", col.accepted
            )
        )
    if col.max_length and facts.longer(c, col.max_length):
        out.append(
            Check(
                "too_long",
                SEVERITY_ERROR,
                c,
                f"length({raw}) > {col.max_length}",
                f"'{c} has ' || length({raw}) || ' characters, more than {col.max_length}'",
                col.accepted,
            )
        )
    return out


_PARTNERS_ACCEPTED = spec.COLUMNS_BY_NAME["partner_categories"].accepted

# Partner cells' own problems (from etl.validate.matching.partner_codes): (problem prefix, check).
PARTNER_CHECKS: tuple[tuple[str, Check], ...] = (
    (
        "unknown:",
        Check(
            "invalid_code",
            SEVERITY_ERROR,
            "partner_categories",
            "starts_with(_partner_problem, 'unknown:')",
            f"'unknown partner category ' || substr(_partner_problem, 9) || ' (expected {_PARTNERS_ACCEPTED})'",
            _PARTNERS_ACCEPTED,
        ),
    ),
    (
        "none_combined",
        Check(
            "none_combined",
            SEVERITY_ERROR,
            "partner_categories",
            "_partner_problem = 'none_combined'",
            "'none cannot be combined with another partner category: ' || "
            + _short(identifier("raw_partner_categories")),
            _PARTNERS_ACCEPTED,
        ),
    ),
)


def _breach(metric: str) -> str:
    # The framework rule of etl.spec.METRICS, broken (NULL, so not fired, when the value is missing).
    return f"NOT ({spec.METRICS_BY_NAME[metric].numerator_sql})"


_HOURS = spec.MAX_MICRO_HOURS

# Rules across a row, each with the columns it needs: (columns, check), in the order issues are listed.
# The warnings are the three framework compliance flags, then repeated titles.
ROW_CHECKS: tuple[tuple[frozenset[str], Check], ...] = (
    (
        frozenset({"completions", "enrolments"}),
        Check(
            "completions_over_enrolments",
            SEVERITY_ERROR,
            "completions",
            "completions > enrolments",
            "'completions (' || completions || ') are more than enrolments (' || enrolments || ')'",
            "a whole number not more than enrolments",
        ),
    ),
    (
        frozenset({"credits", "credit_status"}),
        Check(
            "credits_without_credit",
            SEVERITY_ERROR,
            "credits",
            "credits IS NOT NULL AND credit_status = 'non_credit'",
            "'credits are given for a non-credit offering: leave credits empty or set credit_status to credit'",
            "empty unless credit_status is credit",
        ),
    ),
    (
        frozenset({"start_date", "end_date"}),
        Check(
            "end_before_start",
            SEVERITY_ERROR,
            "end_date",
            "end_date < start_date",
            "'end_date ' || end_date || ' is before start_date ' || start_date",
            "a date not before start_date",
        ),
    ),
    (
        frozenset({"offering_id"}),
        Check(
            "duplicate_offering_id",
            SEVERITY_ERROR,
            "offering_id",
            "_offering_first_row IS NOT NULL",
            "'offering_id ' || " + _short('"raw_offering_id"') + " || ' repeats the one in row ' || _offering_first_row"
            " || ' (must be unique within institution and period)'",
            "an offering_id unique within the institution and period",
        ),
    ),
    (
        frozenset({"duration_hours"}),
        Check(
            "over_duration",
            SEVERITY_WARNING,
            "duration_hours",
            _breach("duration_compliance"),
            f"'duration ' || raw_duration_hours || ' is not under {_HOURS}: the B.C. framework "
            f"sets micro-credentials under {_HOURS} hours'",
            f"under {_HOURS} hours",
        ),
    ),
    (
        frozenset({"assessment"}),
        Check(
            "no_assessment",
            SEVERITY_WARNING,
            "assessment",
            _breach("assessment_share"),
            "'no assessment: the B.C. framework makes assessment necessary'",
            "yes",
        ),
    ),
    (
        frozenset({"partner_categories"}),
        Check(
            "no_partner",
            SEVERITY_WARNING,
            "partner_categories",
            _breach("partner_alignment"),
            "'no partner: the B.C. framework asks for alignment with industry, employer, community and/or "
            "Indigenous community needs'",
            "a partner category other than none",
        ),
    ),
    (
        frozenset({"title"}),
        Check(
            "duplicate_title",
            SEVERITY_WARNING,
            "title",
            "_title_first_row IS NOT NULL",
            "'title repeats the one in row ' || _title_first_row",
            "a title not used by another offering",
        ),
    ),
)


def checks_for(
    present: set[str], present_in: dict[str, list[int]] | None = None, facts: Facts | None = None
) -> list[Check]:
    """The checks for the columns present, less those ``facts`` show cannot fire."""
    facts = facts or Facts()
    checks = [chk for col in COLUMNS if col.name in present for chk in _column_checks(col, present_in, facts)]
    if "partner_categories" in present:
        checks += [chk for prefix, chk in PARTNER_CHECKS if facts.partner_problem(prefix)]
    checks += [chk for needs, chk in ROW_CHECKS if needs <= present]
    return checks
