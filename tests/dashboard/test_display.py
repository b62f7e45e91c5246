"""The one display-formatting module: counts agree with their nouns, shares follow one rule,
comparators are signs, and every time a person reads is Pacific time."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd

from dashboard import display


def test_counts_agree_with_their_noun():
    assert display.count(1, "offering") == "1 offering"
    assert display.count(0, "offering") == "0 offerings"
    assert display.count(1022, "offering") == "1,022 offerings"
    assert display.count(2, "more error") == "2 more errors"
    assert display.number(None) == "–"


def test_shares_follow_one_rule_and_never_round_to_a_false_whole():
    assert display.share(0.616) == "61.6%"
    assert display.share(0.5) == "50.0%"
    assert display.share(0.99996) == "99.9%"  # not met must not read "100.0%"
    assert display.share(0.00001) == "<0.1%"
    assert display.share(1.0) == "100.0%" and display.share(0) == "0.0%"
    assert display.share(None) == display.share(float("nan")) == display.share(pd.NA) == "–"


def test_comparators_are_signs():
    assert display.target(">=", 1.0) == "≥ 100%"
    assert display.target("<=", 0.6) == "≤ 60%"
    assert display.target(None, 0.6) == "–"


def test_changes_and_points():
    assert display.change(91, 931) == "+91 (+9.8%)"
    assert display.change(-2, 2) == "-2 (-100.0%)"
    assert display.change(3, 0) == "+3"
    assert display.points(-3.84) == "-3.8 pts"


def test_times_are_pacific_with_their_zone():
    summer = datetime(2026, 6, 30, 19, 5, tzinfo=timezone.utc)
    winter = pd.Timestamp("2026-12-01 20:30", tz="UTC")
    assert display.when(summer) == "Jun 30, 2026, 12:05 PDT"
    assert display.when(winter) == "Dec 1, 2026, 12:30 PST"
    assert display.when(datetime(2026, 12, 1, 20, 30)) == "Dec 1, 2026, 12:30 PST"  # naive: UTC
    assert display.when(None) == "" and display.when(pd.NaT) == ""
    # the drafts store's moments: ISO 8601 text in UTC
    assert display.when("2026-12-01T20:30:00.000001+00:00") == "Dec 1, 2026, 12:30 PST"
    assert display.when("not a time") == ""
    # a moment just after midnight UTC is still the previous day in B.C.
    assert display.day(datetime(2026, 7, 1, 3, 0, tzinfo=timezone.utc)) == "Jun 30, 2026"
    assert display.day(date(2026, 6, 30)) == display.day(pd.Timestamp(2026, 6, 30)) == "Jun 30, 2026"


def test_listing():
    assert display.listing(["A"]) == "A"
    assert display.listing(["A", "B", "C"]) == "A, B and C"
