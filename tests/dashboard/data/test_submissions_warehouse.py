"""The submissions page's queries against a warehouse built by LOADING REAL FILES.

The files below are written as CSV in tmp_path and loaded through ``etl.load.load_files``
in three loads, exactly as institutions' files would arrive. data/deadlines.toml is
replaced by one where 2023/24's deadline has passed and 2024/25's is far away, so
"late" does not depend on the day the tests run (before 2099).

2024/25 (deadline 2099-06-30, on time)
  BCIT   a draft (1 row, no partner), then a final file (3 rows: 300 h, no assessment,
         no partner) that supersedes it                        -> accepted, 2 files
  SFU    an accepted file (2 rows), then a rejected one (-5 enrolments, row 2)
                                                               -> accepted (the first stays current)
  UBC    3 rows, row 3 has completions > enrolments, loaded with allow_partial
                                                               -> partial, 2 rows
  CAM    a rejected file: '=SUM(1+1)' as type (row 2), '@cmd' as delivery (row 3)
                                                               -> rejected only
  the 21 others                                                -> missing
2023/24 (deadline 2024-06-30, passed)
  BCIT   an accepted file (1 row)                              -> accepted, late
  the 24 others                                                -> missing, overdue
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from submissions_fixture import P23, P24, build, csv_file, offering_row, submissions_warehouse  # noqa: F401

from dashboard.data import overview as queries
from dashboard.data import submissions as sq
from dashboard.data.database import Database
from dashboard.data.filters import Filters


@pytest.fixture
def sdb(submissions_warehouse) -> Database:  # noqa: F811
    return Database(submissions_warehouse.db_path).reader()


@pytest.fixture
def svocab(sdb):
    return sq.page_vocabulary(sdb, queries.vocabulary(sdb))


def parse(query: str, vocab) -> Filters:
    return Filters.parse(query, vocab, strict=True)[0]


def cells(matrix) -> dict[tuple[str, str], dict]:
    return {(r["institution_code"], r["reporting_period"]): r for r in matrix.to_dict("records")}


# --- the matrix -------------------------------------------------------------------------------


def test_matrix_states(sdb, svocab):
    matrix = sq.status_matrix(sdb, parse("period=all", svocab))
    assert sorted(matrix.reporting_period.unique()) == [P23, P24]
    assert len(matrix) == 25 * 2
    m = cells(matrix)
    bcit = m[("BCIT", P24)]
    assert (bcit["status"], bcit["rows_accepted"], bcit["submissions"], bcit["late"]) == ("accepted", 3, 2, False)
    assert bcit["current_submission_id"] == bcit["latest_submission_id"]  # the final file superseded the draft
    sfu = m[("SFU", P24)]
    assert (sfu["status"], sfu["rows_accepted"], sfu["submissions"]) == ("accepted", 2, 2)
    assert sfu["latest_submission_id"] > sfu["current_submission_id"]  # a later rejected file left it current
    ubc = m[("UBC", P24)]
    assert (ubc["status"], ubc["rows_accepted"], ubc["submissions"]) == ("partial", 2, 1)
    cam = m[("CAM", P24)]
    assert (cam["status"], cam["rows_accepted"], cam["submissions"], cam["overdue"]) == ("rejected", 0, 1, False)
    assert pd_isna(cam["current_submission_id"])
    kpu = m[("KPU", P24)]
    assert (kpu["status"], kpu["submissions"], kpu["late"], kpu["overdue"]) == ("missing", 0, False, False)
    late = m[("BCIT", P23)]
    assert (late["status"], late["late"], late["deadline"]) == ("accepted", True, pd.Timestamp(2024, 6, 30))
    overdue = m[("UBC", P23)]
    assert (overdue["status"], overdue["late"], overdue["overdue"]) == ("missing", False, True)
    assert m[("BCIT", P24)]["deadline"] == pd.Timestamp(2099, 6, 30)


def pd_isna(value) -> bool:
    return bool(pd.isna(value))


def test_matrix_rows_follow_the_location_filters(sdb, svocab):
    matrix = sq.status_matrix(sdb, parse("sector=institute", svocab))
    assert set(matrix.institution_code) == {"BCIT", "JIBC", "NVIT"}
    matrix = sq.status_matrix(sdb, parse("institution=UBC,CAM&type=pathway", svocab))  # type does not apply
    assert set(matrix.institution_code) == {"UBC", "CAM"}
    chosen = sq.selected_institutions(sdb, parse("institution=UBC,CAM&sector=college", svocab))
    assert list(chosen.institution_code) == ["CAM"]
    assert list(sq.selected_institutions(sdb, parse("institution=BCIT,UBC", svocab)).institution_code) == [
        "UBC",
        "BCIT",
    ]
    assert len(sq.selected_institutions(sdb, parse("region=Northeast", svocab))) == len(
        set(sq.status_matrix(sdb, parse("region=Northeast", svocab)).institution_code)
    )


def test_headline_for_each_period(sdb, svocab):
    matrix = sq.status_matrix(sdb, parse("", svocab))
    h = sq.headline(matrix, 25, P24)
    assert (h.reported, h.accepted, h.partial, h.rejected, h.missing) == (3, 2, 1, 1, 21)
    assert (h.on_time, h.late, h.overdue, h.deadline) == (3, 0, 0, date(2099, 6, 30))
    h = sq.headline(matrix, 25, P23)
    assert (h.reported, h.accepted, h.partial, h.rejected, h.missing) == (1, 1, 0, 0, 24)
    assert (h.on_time, h.late, h.overdue) == (0, 1, 24)
    colleges = parse("sector=college", svocab)
    h = sq.headline(sq.status_matrix(sdb, colleges), len(sq.selected_institutions(sdb, colleges)), P24)
    assert (h.institutions, h.reported, h.rejected, h.missing) == (11, 0, 1, 10)


def test_page_vocabulary_offers_every_period_with_a_submission(sdb, svocab):
    assert svocab.codes("period") == [P23, P24]
    assert sq.selected_period(parse("", svocab), svocab) == P24
    assert sq.selected_period(parse("period=2023-24", svocab), svocab) == P23
    assert sq.selected_period(parse("period=2023/24,2024/25", svocab), svocab) == P24
    assert sq.selected_period(parse("period=all", svocab), svocab) == P24
    assert sq.deadline_for(sdb, P23) == date(2024, 6, 30)
    assert sq.deadline_for(sdb, "2030/31") is None


def test_cells_round_trip():
    assert sq.parse_cell(sq.cell_key("BCIT", P24)) == ("BCIT", P24)
    assert sq.parse_cell("BCIT_2024-25") == ("BCIT", P24)
    for bad in (None, "", "BCIT", "_2024/25", "BCIT_24"):
        assert sq.parse_cell(bad) is None


# --- history ---------------------------------------------------------------------------------


def test_history_lists_every_file_newest_first(sdb):
    history = sq.submission_history(sdb, "BCIT", P24)
    assert list(history.file_name) == ["bcit_2024-25.csv", "bcit_2024-25_draft.csv"]
    final, draft = history.to_dict("records")
    assert draft["superseded_by"] == final["submission_id"] and not draft["is_current"]
    assert final["is_current"] and pd_isna(final["superseded_by"])
    assert (final["status"], final["rows_accepted"], final["rows_rejected"], final["errors"], final["warnings"]) == (
        "accepted",
        3,
        0,
        0,
        3,
    )
    assert len(final["sha256"]) == 64 and final["loaded_late"] is False
    ubc = sq.submission_history(sdb, "UBC", P24).iloc[0]
    assert (ubc.status, ubc.rows_accepted, ubc.rows_rejected, ubc.errors, bool(ubc.allow_partial)) == (
        "partial",
        2,
        1,
        1,
        True,
    )
    assert sq.submission_history(sdb, "BCIT", P23).iloc[0].loaded_late
    assert sq.submission_history(sdb, "KPU", P24).empty


# --- issues ------------------------------------------------------------------------------------


def issue_frame(reader, scope, **kw) -> pd.DataFrame:
    """sq.issue_records (the issue grid's rows) as a frame, with the records' own columns."""
    return pd.DataFrame(sq.issue_records(reader, scope, **kw), columns=[name for name, _ in sq.ISSUE_EXPORT_COLUMNS])


def triples(frame) -> list[tuple]:
    return [(r["institution_code"], r["row"], r["column"], r["severity"]) for r in frame.to_dict("records")]


def test_period_issues_come_from_each_institutions_most_recent_file(sdb, svocab):
    scope = sq.IssueScope(P24, parse("", svocab))
    frame = issue_frame(sdb, scope)
    assert set(frame.file_name) == {"bcit_2024-25.csv", "sfu_2024-25_fix.csv", "ubc_2024-25.csv", "cam_2024-25.csv"}
    got = triples(frame)
    # institutions in reference order (SFU, UBC... see institutions.csv), errors first, then by row
    assert ("BCIT", 2, "duration_hours", "warning") in got
    assert ("BCIT", 3, "assessment", "warning") in got
    assert ("BCIT", 4, "partner_categories", "warning") in got
    assert ("CAM", 2, "mc_type", "error") in got and ("CAM", 3, "delivery_mode", "error") in got
    assert ("SFU", 2, "enrolments", "error") in got
    assert ("UBC", 4, "completions", "error") in got
    order = [r[0] for r in got]
    assert order == sorted(order, key=["UBC", "SFU", "CAM", "BCIT"].index)
    counts = sq.issue_counts(sdb, scope)
    assert counts["total"] == len(frame) == counts["error"] + counts["warning"]
    assert counts["warning"] == 3


def test_issue_filters(sdb, svocab):
    errors = sq.IssueScope(P24, parse("", svocab), severity="error")
    assert {r[3] for r in triples(issue_frame(sdb, errors))} == {"error"}
    cam = sq.IssueScope(P24, parse("institution=CAM", svocab))
    assert triples(issue_frame(sdb, cam)) == [("CAM", 2, "mc_type", "error"), ("CAM", 3, "delivery_mode", "error")]
    assert sq.issue_columns(sdb, cam) == ["delivery_mode", "mc_type"]
    by_column = sq.IssueScope(P24, parse("", svocab), column="assessment")
    assert triples(issue_frame(sdb, by_column)) == [("BCIT", 3, "assessment", "warning")]
    # the column filter does not narrow the list of columns to choose from
    assert "mc_type" in sq.issue_columns(sdb, by_column)
    assert issue_frame(
        sdb, sq.IssueScope(P24, parse("sector=institute", svocab))
    ).institution_code.unique().tolist() == ["BCIT"]
    capped = issue_frame(sdb, sq.IssueScope(P24, parse("", svocab)), limit=2)
    assert len(capped) == 2
    with pytest.raises(ValueError, match="severity"):
        sq.IssueScope(P24, parse("", svocab), severity="fatal")


def test_issues_of_one_submission_include_a_superseded_one(sdb, svocab):
    draft = sq.submission_history(sdb, "BCIT", P24).iloc[1]
    scope = sq.IssueScope(P24, parse("institution=UBC", svocab), submission_id=int(draft.submission_id))
    assert triples(issue_frame(sdb, scope)) == [("BCIT", 2, "partner_categories", "warning")]
    latest = sq.latest_submission(sdb, "SFU", P24)
    assert sq.submission_info(sdb, latest)["file_name"] == "sfu_2024-25_fix.csv"
    assert sq.submission_info(sdb, 10_000) is None


def test_issue_batches_stream_the_same_rows(sdb, svocab):
    scope = sq.IssueScope(P24, parse("", svocab))
    rows = sum(b.num_rows for b in sq.issue_batches(sdb, scope, batch_rows=2))
    assert rows == sq.issue_counts(sdb, scope)["total"]


# --- compliance flags ----------------------------------------------------------------------------


def test_compliance_flags_per_institution_with_shares(sdb, svocab):
    flags = sq.compliance_flags(sdb, parse("", svocab), P24)
    by = {r["institution_code"]: r for r in flags.to_dict("records")}
    assert list(flags.institution_code.fillna("ALL")) == ["UBC", "SFU", "BCIT", "ALL"]
    bcit = by["BCIT"]
    assert (bcit["offerings"], bcit["over_duration"], bcit["no_assessment"], bcit["no_partner"]) == (3, 1, 1, 1)
    assert bcit["over_duration_share"] == pytest.approx(1 / 3)
    total = flags[flags.institution_code.isna()].iloc[0]
    assert (total.offerings, total.over_duration, total.no_assessment, total.no_partner) == (7, 1, 1, 1)
    # offering filters do apply to the flags
    only = sq.compliance_flags(sdb, parse("institution=BCIT", svocab), P24)
    assert list(only.institution_code.fillna("ALL")) == ["BCIT", "ALL"]
    assert sq.compliance_flags(sdb, parse("type=pathway", svocab), P24).empty
