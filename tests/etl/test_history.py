"""The explicit history: every submission of a pair, restoring an earlier one (recorded, and
agreed by every view), loading a non-current file again, and a small partial submission
refused unless --replace is given (issue 14, item 3)."""

from __future__ import annotations

import pytest
from submission_files import csv_file, offering_row

from etl.history import HistoryError, restore_submission, submission_history
from etl.load import load_files
from etl.warehouse import read_only


def rows(n: int, bad: int = 0) -> list[str]:
    good = [offering_row(oid=f"A{k}", title=f"Course {k}") for k in range(n - bad)]
    broken = [offering_row(oid=f"B{k}", title=f"Broken {k}", hours="lots") for k in range(bad)]
    return good + broken


def current_state(settings) -> tuple:
    with read_only(settings.db_path) as con:
        return con.execute(
            """
            SELECT (SELECT list(submission_id ORDER BY submission_id) FROM submissions WHERE is_current),
                   (SELECT count(*) FROM current_offerings),
                   (SELECT current_submission_id FROM reporting_status
                    WHERE institution_code = 'BCIT' AND reporting_period = '2024/25')
            """
        ).fetchone()


def test_restore_makes_an_earlier_submission_current_again_and_is_recorded(settings, tmp_path):
    first = csv_file(tmp_path, "first.csv", rows(5))
    second = csv_file(tmp_path, "second.csv", rows(3))
    [a] = load_files([first], settings)
    [b] = load_files([second], settings)
    assert current_state(settings) == ([b.submission_id], 3, b.submission_id)

    # The same bytes again: already loaded, and the outcome says it is not current.
    [again] = load_files([first], settings)
    assert again.status == "already_loaded" and again.submission_id == a.submission_id
    assert again.is_current is False

    done = restore_submission(settings, a.submission_id)
    assert done["replaced"] == b.submission_id
    assert current_state(settings) == ([a.submission_id], 5, a.submission_id)

    history = submission_history(settings, "bcit", "2024-25")
    assert [h["submission_id"] for h in history] == [a.submission_id, b.submission_id]
    assert [h["is_current"] for h in history] == [True, False]
    assert history[0]["restored_at"] is not None and history[0]["superseded_by"] is None
    assert history[1]["superseded_by"] == a.submission_id
    with read_only(settings.db_path) as con:
        assert con.execute("SELECT submission_id, event, replaced FROM submission_event").fetchall() == [
            (a.submission_id, "restored", b.submission_id)
        ]

    # A new load supersedes the restored submission as usual.
    [c] = load_files([csv_file(tmp_path, "third.csv", rows(4))], settings)
    assert c.superseded == a.submission_id
    assert current_state(settings) == ([c.submission_id], 4, c.submission_id)


def test_restore_refuses_rejected_current_and_unknown_submissions(settings, tmp_path):
    [good] = load_files([csv_file(tmp_path, "good.csv", rows(2))], settings)
    [bad] = load_files([csv_file(tmp_path, "bad.csv", rows(2, bad=2))], settings)
    assert bad.status == "rejected"
    with pytest.raises(HistoryError, match="was rejected"):
        restore_submission(settings, bad.submission_id)
    with pytest.raises(HistoryError, match="already the current one"):
        restore_submission(settings, good.submission_id)
    with pytest.raises(HistoryError, match="no submission 999"):
        restore_submission(settings, 999)
    assert current_state(settings) == ([good.submission_id], 2, good.submission_id)


def test_history_names_the_accepted_codes_and_period_form(settings, tmp_path):
    load_files([csv_file(tmp_path, "good.csv", rows(1))], settings)
    with pytest.raises(HistoryError, match="not an institution code; accepted: .*BCIT"):
        submission_history(settings, "NOPE", "2024/25")
    with pytest.raises(HistoryError, match="write it as 2024/25"):
        submission_history(settings, "BCIT", "2024")
    assert submission_history(settings, "BCIT", "2023/24") == []


def test_small_partial_submission_does_not_replace_a_full_one_without_replace(settings, tmp_path):
    [full] = load_files([csv_file(tmp_path, "full.csv", rows(70))], settings)
    mostly_bad = csv_file(tmp_path, "mostly_bad.csv", rows(87, bad=86))
    [refused] = load_files([mostly_bad], settings, allow_partial=True)
    assert refused.status == "rejected" and refused.rows_accepted == 0
    assert any("--replace" in i["message"] and "fewer than half" in i["message"] for i in refused.issues)
    assert current_state(settings) == ([full.submission_id], 70, full.submission_id)

    [replaced] = load_files([mostly_bad], settings, allow_partial=True, replace=True)
    assert replaced.status == "partial" and replaced.superseded == full.submission_id
    assert current_state(settings) == ([replaced.submission_id], 1, replaced.submission_id)


def test_partial_with_half_the_rows_or_more_replaces_without_replace(settings, tmp_path):
    load_files([csv_file(tmp_path, "full.csv", rows(10))], settings)
    [half] = load_files([csv_file(tmp_path, "half.csv", rows(10, bad=5))], settings, allow_partial=True)
    assert half.status == "partial"
    assert current_state(settings)[1] == 5
