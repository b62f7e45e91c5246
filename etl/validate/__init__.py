"""Check and normalise a submission table column-wise, by concern:

- :mod:`etl.validate.matching`: coded values matched once per distinct spelling;
- :mod:`etl.validate.typed`: numbers, dates and lists typed (Arrow, and the SQL twin);
- :mod:`etl.validate.checks`: the checks, as tables of rules over the typed rows;
- :mod:`etl.validate.batch`: a batch of files prepared, checked in one DuckDB pass and
  split into submissions (what etl.load calls).
"""

from etl.validate.batch import (
    PreparedRows,
    SubmissionGroup,
    ValidatedFile,
    release,
    validate_batch,
)
from etl.validate.checks import Check, Facts, checks_for
from etl.validate.matching import institution_matcher, parse_period, partner_codes
from etl.validate.typed import arrow_typed, typed_sql

__all__ = [
    "Check",
    "Facts",
    "PreparedRows",
    "SubmissionGroup",
    "ValidatedFile",
    "arrow_typed",
    "checks_for",
    "institution_matcher",
    "parse_period",
    "partner_codes",
    "release",
    "typed_sql",
    "validate_batch",
]
