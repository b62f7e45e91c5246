"""Stored issues are capped per submission (issue 14, item 1): the first ISSUES_PER_RULE of
each rule, then one stored line counting the rest, shown by mcred load --json and
mcred status --issues; the submission's error count stays the true total."""

from __future__ import annotations

import json

from submission_files import csv_file, offering_row

from etl.load import ISSUES_PER_RULE, load_files
from etl.warehouse import read_only
from mcred.cli import main


def test_a_file_of_many_bad_rows_stores_the_first_issues_of_each_rule_and_a_count(settings, tmp_path, capsys):
    bad = ISSUES_PER_RULE + 1_500
    rows = [offering_row(oid=f"A{k}", title=f"Course {k}", hours="lots", mc_type="nonsense") for k in range(bad)]
    path = csv_file(tmp_path, "bad.csv", rows)
    code = main(["load", str(path), "--json", "--db", str(settings.db_path)])
    [item] = json.loads(capsys.readouterr().out)["submissions"]
    assert code == 1 and item["status"] == "rejected"
    assert item["errors"] == 2 * bad  # the true count
    with read_only(settings.db_path) as con:
        per_rule = dict(
            con.execute(
                "SELECT rule, count(*) FROM validation_issue WHERE submission_id = ? GROUP BY rule",
                [item["submission_id"]],
            ).fetchall()
        )
    assert per_rule == {"invalid_number": ISSUES_PER_RULE + 1, "invalid_code": ISSUES_PER_RULE + 1}
    more = [i["message"] for i in item["issues"] if i["message"].startswith("... and")]
    assert sorted(more) == [
        f"... and 1500 more invalid_code errors like these, not stored (the first {ISSUES_PER_RULE} of each rule are)",
        f"... and 1500 more invalid_number errors like these, not stored (the first {ISSUES_PER_RULE} of each rule are)",
    ]
    main(["status", "--issues", str(item["submission_id"]), "--db", str(settings.db_path)])
    out = capsys.readouterr().out
    assert "... and 1500 more invalid_number errors like these, not stored" in out


def test_few_issues_are_all_stored(settings, tmp_path):
    rows = [offering_row(oid=f"A{k}", title=f"Course {k}", hours="lots") for k in range(5)]
    [outcome] = load_files([csv_file(tmp_path, "few.csv", rows)], settings)
    assert outcome.errors == 5 and len(outcome.issues) == 5
    assert not any(i["message"].startswith("... and") for i in outcome.issues)
