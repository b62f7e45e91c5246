"""Edit checks across years, against a warehouse built here; every figure worked out by hand
in the comments."""

from __future__ import annotations

import pyarrow as pa
import pytest
from submission_files import csv_file, offering_row

from etl.config import SettingsError, edit_threshold
from etl.config import settings as config_settings
from etl.editchecks import (
    OFFERING_COLUMNS,
    EditCheck,
    ValidatedSubmission,
    edit_checks,
    framework_reason,
    previous_period,
)
from etl.load import load_files
from etl.warehouse import read_only

# BCIT's current 2023/24 submission: 4 offerings, 100 enrolments, 70 completions (70.0%), 2 credit.
BCIT_2023 = [
    offering_row(
        inst="BCIT", period="2023/24", oid="A1", title="One", credit="credit", enrolments="20", completions="15"
    ),
    offering_row(
        inst="BCIT", period="2023/24", oid="A2", title="Two", credit="credit", enrolments="30", completions="20"
    ),
    offering_row(inst="BCIT", period="2023/24", oid="A3", title="Three", enrolments="10", completions="5"),
    offering_row(inst="BCIT", period="2023/24", oid="A4", title="Four", enrolments="40", completions="30"),
]
# JIBC, the other institute of 2023/24: 2 offerings, 1 credit. The institute sector of 2023/24:
# 6 offerings, 3 credit-bearing = 50.0%, not more than half.
JIBC_2023 = [
    offering_row(inst="JIBC", period="2023/24", oid="J1", title="Jay one", credit="credit"),
    offering_row(inst="JIBC", period="2023/24", oid="J2", title="Jay two"),
]


@pytest.fixture
def warehouse(settings, tmp_path):
    load_files(
        [csv_file(tmp_path, "bcit-2023.csv", BCIT_2023), csv_file(tmp_path, "jibc-2023.csv", JIBC_2023)], settings
    )
    with read_only(settings.db_path) as con:
        yield con


def submission(*rows: dict, inst: str = "BCIT", period: str = "2024/25") -> ValidatedSubmission:
    """A submission of the given offerings (row numbers from 2, as below a header row)."""
    defaults = {
        "credit_status": "non_credit",
        "duration_hours": 40.0,
        "assessment": True,
        "partner_categories": ["employer_industry"],
        "enrolments": 20,
        "completions": 15,
    }
    records = [{"source_row": n, **defaults, **row} for n, row in enumerate(rows, start=2)]
    types = {
        "source_row": pa.int32(),
        "offering_id": pa.string(),
        "credit_status": pa.string(),
        "duration_hours": pa.float64(),
        "assessment": pa.bool_(),
        "partner_categories": pa.list_(pa.string()),
        "enrolments": pa.int64(),
        "completions": pa.int64(),
    }
    table = pa.table({c: pa.array([r[c] for r in records], type=types[c]) for c in OFFERING_COLUMNS})
    return ValidatedSubmission(inst, period, table)


def test_every_check_with_its_figures(warehouse):
    # One offering, A1, now credit-bearing, 300 hours, no assessment, no partner, 30 enrolled, 3 completed.
    new = submission(
        {
            "offering_id": "A1",
            "credit_status": "credit",
            "duration_hours": 300.0,
            "assessment": False,
            "partner_categories": ["none"],
            "enrolments": 30,
            "completions": 3,
        }
    )
    checks = edit_checks(warehouse, new)
    assert checks == [
        EditCheck("offerings_change", "Offerings fell from 4 in 2023/24 to 1 in 2024/25 (-75%)."),  # 3/4
        EditCheck("enrolments_change", "Enrolments fell from 100 in 2023/24 to 30 in 2024/25 (-70%)."),  # 70/100
        # 70/100 = 70.0% to 3/30 = 10.0%: (0.10 - 0.70) / 0.70 = -85.7%
        EditCheck(
            "completion_rate_change", "The completion rate fell from 70.0% in 2023/24 to 10.0% in 2024/25 (-86%)."
        ),
        EditCheck("offering_ids_disappeared", "3 offerings of 2023/24 are not in this submission: A2, A3, A4."),
        # Institute sector with this submission for BCIT's: 6 - 4 + 1 = 3 offerings, 3 - 2 + 1 = 2 credit: 66.7%.
        EditCheck(
            "credit_share_flip:institute",
            "With this submission in place of BCIT's 2023/24 one, the institute sector's credit-bearing share of "
            "2023/24 goes from 50.0% to 66.7%: now more than half.",
        ),
        EditCheck(
            "over_duration",
            "1 offering runs 288 hours or more (row 2): the B.C. framework sets micro-credentials under 288 hours.",
            (2,),
        ),
        EditCheck(
            "no_assessment",
            "1 offering has no assessment (row 2): the B.C. framework makes assessment necessary.",
            (2,),
        ),
        EditCheck(
            "no_partner",
            "1 offering names no partner (row 2): the B.C. framework asks for alignment with industry, employer, "
            "community and/or Indigenous community needs.",
            (2,),
        ),
    ]


def test_changes_of_exactly_the_threshold_are_not_flagged_and_just_over_are(warehouse):
    # 2 offerings (-50% of 4), 150 enrolments (+50% of 100), 52 completions: 52/150 = 34.7%,
    # (0.3467 - 0.70) / 0.70 = -50.5%: only the completion rate is over half.
    new = submission(
        {"offering_id": "A1", "enrolments": 75, "completions": 26},
        {"offering_id": "A2", "enrolments": 75, "completions": 26},
        {"offering_id": "A3", "enrolments": 0, "completions": 0},
        {"offering_id": "A4", "enrolments": 0, "completions": 0},
    )
    codes = [c.code for c in edit_checks(warehouse, new)]
    assert codes == ["completion_rate_change"]
    # 2 offerings: -50% exactly, not more than half.
    two = submission(
        {"offering_id": "A1", "enrolments": 50}, {"offering_id": "A2", "enrolments": 51, "completions": 55}
    )
    found = {c.code: c.message for c in edit_checks(warehouse, two)}
    assert "offerings_change" not in found
    # 101 enrolments: +1%; 70 completions of 101 = 69.3%: -1%.
    assert set(found) == {"offering_ids_disappeared"}, found
    # A lower threshold flags the offerings: 50% is more than 40%.
    found = {c.code: c.message for c in edit_checks(warehouse, two, threshold=0.4)}
    assert found["offerings_change"] == "Offerings fell from 4 in 2023/24 to 2 in 2024/25 (-50%)."


def test_just_over_half_more_enrolments(warehouse):
    # 151 enrolments: +51%; 4 offerings, the same ids; 106 completions of 151 = 70.2%.
    new = submission(
        {"offering_id": "A1", "enrolments": 51, "completions": 36},
        {"offering_id": "A2", "enrolments": 50, "completions": 35},
        {"offering_id": "A3", "enrolments": 25, "completions": 17},
        {"offering_id": "A4", "enrolments": 25, "completions": 18},
    )
    assert edit_checks(warehouse, new) == [
        EditCheck("enrolments_change", "Enrolments rose from 100 in 2023/24 to 151 in 2024/25 (+51%).")
    ]


def test_the_credit_share_flips_the_other_way(tmp_path, settings):
    # 2023/24: BCIT 2 of 4 credit, JIBC 2 of 2: the institute sector 4 of 6 = 66.7%.
    load_files(
        [
            csv_file(tmp_path, "bcit.csv", BCIT_2023),
            csv_file(tmp_path, "jibc.csv", [JIBC_2023[0], JIBC_2023[1].replace("non_credit", "credit")]),
        ],
        settings,
    )
    # BCIT now 4 of 4 non-credit, ids and figures as before: 6 offerings, 2 credit = 33.3%.
    new = submission(
        {"offering_id": "A1", "enrolments": 20, "completions": 15},
        {"offering_id": "A2", "enrolments": 30, "completions": 20},
        {"offering_id": "A3", "enrolments": 10, "completions": 5},
        {"offering_id": "A4", "enrolments": 40, "completions": 30},
    )
    with read_only(settings.db_path) as con:
        assert edit_checks(con, new) == [
            EditCheck(
                "credit_share_flip:institute",
                "With this submission in place of BCIT's 2023/24 one, the institute sector's credit-bearing share of "
                "2023/24 goes from 66.7% to 33.3%: no longer more than half.",
            )
        ]


def test_no_previous_year_means_framework_checks_only(warehouse):
    # UVIC has nothing in 2023/24; BCIT has nothing in 2022/23.
    rows = [{"offering_id": f"U{n}", "assessment": n % 2 == 0, "enrolments": 1000} for n in range(12)]
    for new in (submission(*rows, inst="UVIC"), submission(*rows, period="2023/24")):
        checks = edit_checks(warehouse, new)
        assert [c.code for c in checks] == ["no_assessment"]
        # U1, U3, ..., U11: rows 3, 5, ..., 13 (six of them: all listed).
        assert checks[0].rows == (3, 5, 7, 9, 11, 13)
        assert checks[0].message.startswith("6 offerings have no assessment (rows 3, 5, 7, 9, 11, 13): ")
    assert edit_checks(None, submission(*rows)) == edit_checks(warehouse, submission(*rows, inst="UVIC"))


def test_long_row_lists_are_cut_in_the_message_and_whole_in_rows():
    rows = [{"offering_id": f"X{n}", "duration_hours": 300.0} for n in range(25)]
    [check] = edit_checks(None, submission(*rows))
    assert check.rows == tuple(range(2, 27))
    assert "(rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 15 more)" in check.message
    assert check.message.startswith("25 offerings run 288 hours or more")


def test_from_zero_enrolments_any_increase_is_flagged_and_the_rate_is_not_compared(tmp_path, settings):
    zero = [offering_row(inst="UBC", period="2023/24", oid="Z1", enrolments="0", completions="0")]
    load_files([csv_file(tmp_path, "ubc.csv", zero)], settings)
    with read_only(settings.db_path) as con:
        checks = edit_checks(con, submission({"offering_id": "Z1", "enrolments": 5, "completions": 5}, inst="UBC"))
    assert checks == [EditCheck("enrolments_change", "Enrolments rose from 0 in 2023/24 to 5 in 2024/25.")]


def test_the_current_previous_submission_is_compared_not_a_superseded_one(warehouse, settings, tmp_path):
    # BCIT sends 2023/24 again with one offering A9: that one is current now.
    load_files([csv_file(tmp_path, "again.csv", [offering_row(inst="BCIT", period="2023/24", oid="A9")])], settings)
    with read_only(settings.db_path) as con:
        checks = edit_checks(con, submission({"offering_id": "A9"}, {"offering_id": "B1"}))
    # 1 -> 2 offerings (+100%), 20 -> 40 enrolments; the rate stays 75%; no id gone; the sector
    # (1 + 2 = 3 offerings, 1 credit) stays under half with BCIT's 2 non-credit offerings.
    assert [c.code for c in checks] == ["offerings_change", "enrolments_change"]
    assert checks[0].message == "Offerings rose from 1 in 2023/24 to 2 in 2024/25 (+100%)."


def test_a_loaded_submission_read_back_gives_the_same_checks(warehouse, settings, tmp_path):
    rows = [
        offering_row(inst="BCIT", oid="A1", hours="300", enrolments="30", completions="3"),
        offering_row(inst="BCIT", oid="A2", title="Other", assessment="no"),
    ]
    [outcome] = load_files([csv_file(tmp_path, "bcit-2024.csv", rows)], settings)
    with read_only(settings.db_path) as con:
        loaded = ValidatedSubmission.from_offerings(con, outcome.submission_id)
        assert (loaded.institution_code, loaded.reporting_period, loaded.offerings.num_rows) == ("BCIT", "2024/25", 2)
        checks = edit_checks(con, loaded)
        issues = con.execute(
            "SELECT rule, message FROM validation_issues WHERE submission_id = ? ORDER BY row",
            [outcome.submission_id],
        ).fetchall()
    new = submission(
        {"offering_id": "A1", "duration_hours": 300.0, "enrolments": 30, "completions": 3},
        {"offering_id": "A2", "assessment": False},
    )
    assert checks == edit_checks(warehouse, new)
    assert [(c.code, c.rows) for c in checks][-2:] == [("over_duration", (2,)), ("no_assessment", (3,))]
    # The reasons are the validator's own: each warning's message ends with it.
    for rule, message in issues:
        assert message.endswith(framework_reason(rule)), (rule, message)


@pytest.mark.parametrize("rule", ["over_duration", "no_assessment", "no_partner"])
def test_framework_reasons_are_read_from_the_validator(rule):
    reason = framework_reason(rule)
    assert reason.startswith("the B.C. framework ") and "'" not in reason


def test_previous_period():
    assert previous_period("2024/25") == "2023/24"
    assert previous_period("2000/01") == "1999/00"


def test_a_threshold_must_be_above_zero():
    with pytest.raises(ValueError, match="above 0"):
        edit_checks(None, submission({"offering_id": "A"}), threshold=0)


@pytest.mark.parametrize(("text", "value"), [(None, 0.5), ("", 0.5), ("0.25", 0.25), (" 1 ", 1.0), ("2", 2.0)])
def test_the_threshold_setting(text, value):
    assert edit_threshold(text) == value


@pytest.mark.parametrize("text", ["0", "-0.5", "half", "nan", "inf", "50%"])
def test_a_wrong_threshold_setting_says_what_is_accepted(text):
    with pytest.raises(SettingsError, match="MCRED_EDIT_THRESHOLD=.* is not a share above 0: write one like 0.5"):
        edit_threshold(text)


def test_the_threshold_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MCRED_EDIT_THRESHOLD", "0.3")
    assert config_settings().edit_threshold == 0.3
