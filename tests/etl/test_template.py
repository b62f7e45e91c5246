"""The submission template: generated from etl/spec.py, and a filled-in template loads."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string, range_boundaries

from etl import spec
from etl.load import load_files
from etl.template import TemplateError, write_template
from etl.warehouse import read_only
from mcred.cli import main

CODED_COLUMNS = [c for c in spec.COLUMNS if c.code_list]


@pytest.fixture(scope="module")
def template_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    write_template(path)
    return path


@pytest.fixture(scope="module")
def workbook(template_path):
    return openpyxl.load_workbook(template_path)


def _dropdown(ws, column: str):
    """The list validation that covers data cells of the given header, or None."""
    letter = _letter(ws, column)
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list":
            continue
        for rng in dv.sqref.ranges:
            min_col, min_row, max_col, max_row = range_boundaries(rng.coord)
            if min_col <= column_index_from_string(letter) <= max_col and min_row <= 2 and max_row >= 1000:
                return dv
    return None


def _letter(ws, column: str) -> str:
    for cell in ws[1]:
        if cell.value == column:
            return cell.column_letter
    raise AssertionError(f"no header {column}")


def _list_values(wb, formula: str) -> list:
    """Resolve a list validation's formula (a defined name or a sheet range) to its values."""
    formula = formula.lstrip("=")
    if formula in wb.defined_names:
        formula = wb.defined_names[formula].attr_text
    sheet_name, _, ref = formula.rpartition("!")
    ws = wb[sheet_name.strip("'")]
    return [row[0].value for row in ws[ref.replace("$", "")]]


# --- the workbook ---------------------------------------------------------------


def test_offerings_sheet_has_the_canonical_header(workbook):
    assert workbook.sheetnames[0] == "offerings"
    ws = workbook["offerings"]
    assert [c.value for c in ws[1]] == list(spec.COLUMN_NAMES)
    assert ws.max_row == 1  # empty: no example rows to delete before filling in


def test_required_columns_are_marked_and_header_is_frozen(workbook):
    ws = workbook["offerings"]
    for cell in ws[1]:
        col = spec.COLUMNS_BY_NAME[cell.value]
        marked = bool(cell.font.bold) and cell.fill.fill_type == "solid"
        assert marked == col.required, cell.value
    assert ws.freeze_panes == "A2"
    for cell in ws[1]:
        width = ws.column_dimensions[cell.column_letter].width
        assert len(cell.value) <= width <= 40, cell.value


@pytest.mark.parametrize("column", [c.name for c in CODED_COLUMNS])
def test_coded_columns_have_a_dropdown_of_their_codes(workbook, column):
    ws = workbook["offerings"]
    dv = _dropdown(ws, column)
    assert dv is not None, f"no dropdown on {column}"
    formula = dv.formula1
    assert not formula.startswith('"'), "inline lists are capped at 255 characters: use a range"
    code_list = spec.COLUMNS_BY_NAME[column].code_list
    assert _list_values(workbook, formula) == spec.CODE_LISTS[code_list].values
    assert dv.prompt  # says what is accepted


def test_partner_dropdown_allows_several_codes(workbook):
    dv = _dropdown(workbook["offerings"], "partner_categories")
    # The dropdown offers single codes; several separated by ";" must not be refused.
    assert not (dv.showErrorMessage and dv.errorStyle in (None, "stop"))
    assert ";" in dv.prompt


def test_coded_dropdowns_do_not_forbid_aliases(workbook):
    ws = workbook["offerings"]
    for col in CODED_COLUMNS:
        dv = _dropdown(ws, col.name)
        assert not dv.showErrorMessage or dv.errorStyle in ("warning", "information"), col.name


def test_validations_respect_excel_limits(workbook):
    # Excel refuses (and "repairs" away) input and error messages over these lengths.
    for dv in workbook["offerings"].data_validations.dataValidation:
        assert len(dv.promptTitle or "") <= 32 and len(dv.errorTitle or "") <= 32
        assert len(dv.prompt or "") <= 255 and len(dv.error or "") <= 255


def test_institution_dropdown_lists_the_reference(workbook):
    from etl import reference
    from etl.config import DEFAULT_DATA_DIR

    institutions = reference.read_institutions(DEFAULT_DATA_DIR / "institutions.csv")
    dv = _dropdown(workbook["offerings"], "institution_code")
    assert _list_values(workbook, dv.formula1) == [i.code for i in institutions]


def test_codes_sheet_is_out_of_the_way(workbook):
    assert workbook["codes"].sheet_state in ("hidden", "veryHidden")


def _about_table(workbook, first_heading: str) -> list[tuple]:
    """The rows of the about sheet's table whose heading row starts with first_heading."""
    rows = [tuple(c.value for c in row) for row in workbook["about"].iter_rows()]
    start = next(n for n, r in enumerate(rows) if r and r[0] == first_heading) + 1
    table = []
    for r in rows[start:]:
        if not r or r[0] is None:
            break
        table.append(r)
    return table


def test_about_sheet_explains_every_column(workbook):
    by_name = {r[0]: r for r in _about_table(workbook, "column")}
    assert set(by_name) == set(spec.COLUMN_NAMES)
    for col in spec.COLUMNS:
        name, required, holds, accepted, aliases, example = by_name[col.name][:6]
        assert required == ("yes" if col.required else "no")
        assert holds == col.description
        assert accepted == col.accepted
        for alias in col.aliases:
            assert alias in aliases, (col.name, alias)
        assert (example or "") == col.example


def test_about_sheet_explains_every_code(workbook):
    listed = {(r[0], r[1]): r for r in _about_table(workbook, "list")}
    for col in CODED_COLUMNS:
        for code in spec.CODE_LISTS[col.code_list].codes:
            row = listed.get((col.code_list, code.code))
            assert row is not None, (col.code_list, code.code)
            assert row[2] == code.label
            assert row[3] in (code.description, code.label)
            for alias in code.aliases:
                assert alias in (row[4] or ""), (code.code, alias)


# --- round trips ----------------------------------------------------------------


def _fill(template_path: Path, out: Path, rows: list[dict]) -> Path:
    wb = openpyxl.load_workbook(template_path)
    ws = wb["offerings"]
    header = [c.value for c in ws[1]]
    for r, values in enumerate(rows, start=2):
        for name, value in values.items():
            ws.cell(row=r, column=header.index(name) + 1, value=value)
    wb.save(out)
    return out


def test_filled_xlsx_template_loads(template_path, workbook, settings, tmp_path):
    ws = workbook["offerings"]

    def pick(column: str, n: int):
        """The n-th value of the column's dropdown list, as a person would pick it."""
        choices = _list_values(workbook, _dropdown(ws, column).formula1)
        return choices[n % len(choices)]

    rows = []
    for n in range(8):
        credit = pick("credit_status", n)
        rows.append(
            {
                "institution_code": pick("institution_code", 3),
                "reporting_period": "2024/25",
                "offering_id": f"MC-{n:03d}",
                "title": f"Offering number {n}",
                "mc_type": pick("mc_type", n),
                "delivery_mode": pick("delivery_mode", n),
                "credit_status": credit,
                "credits": 1.5 if credit == "credit" else None,
                "partner_categories": pick("partner_categories", n) if n < 6 else "employer_industry;community",
                "continuing_education": pick("continuing_education", n),
                "duration_hours": 30 + n,
                "assessment": "yes",
                "recognition": pick("recognition", n),
                "ladders_to_credential": pick("ladders_to_credential", n + 1),
                "prior_learning_recognition": pick("prior_learning_recognition", n),
                "field_of_study": pick("field_of_study", n),
                "ministry_funded": pick("ministry_funded", n),
                "competencies": "Plan a project;Report on it",
                "noc_codes": "21211",
                "enrolments": 20 + n,
                "completions": 10 + n,
                "tuition_cad": 450.0,
                "start_date": dt.datetime(2024, 9, 3),
                "end_date": dt.datetime(2024, 12, 13),
            }
        )
    path = _fill(template_path, tmp_path / "filled.xlsx", rows)
    [outcome] = load_files([path], settings)
    assert outcome.status == "accepted", outcome.issues
    assert outcome.rows_accepted == len(rows)
    with read_only(settings.db_path) as con:
        got = con.execute("""
            SELECT offering_id, institution_code, mc_type, delivery_mode, credit_status, credits, partner_categories,
                   continuing_education, recognition, field_of_study, enrolments, start_date, source_row
            FROM current_offerings ORDER BY offering_id""").fetchall()
    assert len(got) == len(rows)
    for n, (row, stored) in enumerate(zip(rows, got)):
        assert stored[0] == row["offering_id"]
        assert stored[1] == row["institution_code"]
        assert stored[2:5] == (row["mc_type"], row["delivery_mode"], row["credit_status"])
        assert stored[5] == row["credits"]
        expected_partners = row["partner_categories"].split(";")
        assert stored[6] == expected_partners
        assert stored[7] == (row["continuing_education"] == "yes")
        assert stored[8:10] == (row["recognition"], row["field_of_study"])
        assert stored[10] == row["enrolments"]
        assert stored[11] == dt.date(2024, 9, 3)
        assert stored[12] == n + 2  # header is row 1


def test_empty_xlsx_template_is_rejected_for_having_no_rows(template_path, settings):
    [outcome] = load_files([template_path], settings)
    assert outcome.status == "rejected"
    assert any("no data rows" in i["message"] for i in outcome.issues)


def test_csv_template_is_the_header_row_and_round_trips(settings, tmp_path):
    path = tmp_path / "template.csv"
    write_template(path)
    text = path.read_bytes().decode("utf-8-sig")
    assert text.splitlines() == [",".join(spec.COLUMN_NAMES)]
    with open(path, "a", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(spec.COLUMN_NAMES))
        writer.writerow(
            {
                "institution_code": "TRU",
                "reporting_period": "2025/26",
                "offering_id": "T-1",
                "title": "Wildfire crew leadership",
                "mc_type": "upskilling",
                "delivery_mode": "blended",
                "credit_status": "non_credit",
                "partner_categories": "government,indigenous_community",
                "continuing_education": "yes",
                "duration_hours": "35",
                "assessment": "yes",
                "enrolments": "1,200",
                "completions": "900",
                "start_date": "2025-05-01",
                "end_date": "2025-06-30",
            }
        )
    [outcome] = load_files([path], settings)
    assert outcome.status == "accepted", outcome.issues
    with read_only(settings.db_path) as con:
        row = con.execute(
            "SELECT institution_code, reporting_period, partner_categories, enrolments FROM current_offerings"
        ).fetchone()
    assert row == ("TRU", "2025/26", ["indigenous_community", "government"], 1200)


@pytest.mark.parametrize("name", ["template.txt", "template.xls", "template"])
def test_other_suffixes_are_refused(tmp_path, name):
    with pytest.raises(TemplateError, match=r"\.xlsx.*\.csv"):
        write_template(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_cli_template(tmp_path, capsys):
    assert main(["template", "--out", str(tmp_path / "t.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames[0] == "offerings"
    assert main(["template", "--out", str(tmp_path / "t.csv")]) == 0
    capsys.readouterr()
    assert main(["template", "--out", str(tmp_path / "t.ods")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and ".xlsx" in err and "Traceback" not in err
