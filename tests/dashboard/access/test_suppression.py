"""Small-cell suppression (dashboard/access/suppression.py), on tables counted by hand."""

from __future__ import annotations

import pytest

from dashboard.access.suppression import Total, share_withheld, suppress, suppress_grid, suppress_series


def test_primary_suppression_hides_every_count_under_the_threshold():
    hidden, total_hidden = suppress_series({"online": 40, "blended": 9, "onsite": 3}, 52, min_cell=10)
    # 9 and 3 are hidden; the total 52 and 40 are shown, but 52 - 40 = 12 gives only the
    # SUM of the two hidden cells, never either one: no complementary cell needed.
    assert hidden == {"blended", "onsite"} and not total_hidden


def test_complementary_suppression_stops_a_subtraction():
    """Enrolments by delivery mode with the headline total 80: only ``blended`` (7) is small.
    Showing 45, 28 and 80 would give 80 - 45 - 28 = 7 away; so the smallest other cell
    (onsite, 28) is hidden too, and the reader learns only blended + onsite = 35."""
    counts = {"online": 45, "blended": 7, "onsite": 28}
    hidden, total_hidden = suppress_series(counts, 80, min_cell=10)
    assert hidden == {"blended", "onsite"} and not total_hidden
    # Without the complementary cell the hidden value could be worked out:
    shown = {k: v for k, v in counts.items() if k not in {"blended"}}
    assert 80 - sum(shown.values()) == 7


def test_a_total_with_a_single_part_is_hidden_when_its_part_is():
    hidden, total_hidden = suppress_series({"online": 7}, 7, min_cell=10)
    assert hidden == {"online"} and total_hidden


def test_known_cells_never_protect_a_hidden_neighbour():
    """An institution user sees its own 30 enrolments in full. Province 45 = own 30 + UBC 8 +
    CAM 7: hiding UBC and CAM is enough (45 - 30 = 15 = their sum). With CAM at 12 instead,
    only UBC (8) is small; hiding it alone would leave 50 - 30 - 12 = 8, so CAM is hidden
    too; the own cell, known to the viewer, is never chosen."""
    hidden, _ = suppress_series({"BCIT": 30, "UBC": 8, "CAM": 7}, 45, min_cell=10, known={"BCIT"})
    assert hidden == {"UBC", "CAM"}
    hidden, total_hidden = suppress_series({"BCIT": 30, "UBC": 8, "CAM": 12}, 50, min_cell=10, known={"BCIT"})
    assert hidden == {"UBC", "CAM"} and not total_hidden
    # Only the own cell beside the small one: nothing to hide beside it, so the total goes.
    hidden, total_hidden = suppress_series({"BCIT": 30, "UBC": 8}, 38, min_cell=10, known={"BCIT"})
    assert hidden == {"UBC"} and total_hidden


def test_overlapping_categories_get_primary_suppression_only():
    hidden, total_hidden = suppress_series(
        {"employer": 50, "community": 4, "none": 20}, 60, min_cell=10, partition=False
    )
    assert hidden == {"community"} and not total_hidden


def test_two_way_table_protects_rows_and_columns_until_stable():
    """Enrolments, sector x continuing education, with row, column and grand totals:

                     CE yes   CE no   | row
        college         25       6    |  31
        institute       30      40    |  70
        -----------------------------------
        column          55      46    | 101

    (college, no) = 6 is small. Its row would give it away (31 - 25), so (college, yes) is
    hidden; then column "yes" has one hidden part (55 - 30) so (institute, yes) is hidden;
    then row "institute" has one (70 - 40), so (institute, no) is hidden. Every line now
    hides two cells or none."""
    grid = {("college", "yes"): 25, ("college", "no"): 6, ("institute", "yes"): 30, ("institute", "no"): 40}
    hidden = suppress_grid(
        grid,
        min_cell=10,
        row_totals={"college": 31, "institute": 70},
        column_totals={"yes": 55, "no": 46},
        grand_total=101,
    )
    cells = {k for k in hidden if k in grid}
    assert cells == set(grid)
    assert not {("row", "college"), ("row", "institute"), ("column", "yes"), ("column", "no"), "grand"} & hidden
    for line in (("college",), ("institute",)):
        assert sum((r, c) in hidden for r in line for c in ("yes", "no")) in (0, 2)


def test_small_totals_are_hidden_too_and_unknown_keys_are_refused():
    hidden = suppress({"a": 3, "b": 4, "t": 7}, [Total("t", ("a", "b"))], min_cell=10)
    assert hidden == {"a", "b", "t"}
    with pytest.raises(KeyError, match="'c'"):
        suppress({"a": 3, "t": 3}, [Total("t", ("a", "c"))], min_cell=10)


def test_not_reported_counts_count_as_hidden_and_the_threshold_is_a_setting():
    hidden, _ = suppress_series({"a": None, "b": 30, "c": 31}, 61, min_cell=10)
    # "a" is not reported, so hidden; 61 - 30 - 31 would still give it away, so the smallest
    # other cell (b, 30) is hidden beside it.
    assert hidden == {"a", "b"}
    hidden, _ = suppress_series({"a": 12, "b": 30}, 42, min_cell=15)
    assert hidden == {"a", "b"}
    hidden, _ = suppress_series({"a": 12, "b": 30}, 42, min_cell=10)
    assert hidden == set()


@pytest.mark.parametrize(
    ("numerator", "denominator", "hidden", "withheld"),
    [
        (24, 30, (), False),
        (5, 30, (), True),  # 5 completions of 30: the share would give 5 away
        (24, 8, (), True),
        (24, 300, ("numerator",), True),  # hidden by complementary suppression
        (None, 30, (), True),
    ],
)
def test_shares_resting_on_a_hidden_count_are_withheld(numerator, denominator, hidden, withheld):
    assert share_withheld(numerator, denominator, min_cell=10, numerator_hidden="numerator" in hidden) is withheld
