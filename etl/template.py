"""An empty submission template, generated from ``etl.spec``.

``write_template(path)`` writes either

- an ``.xlsx`` workbook: an ``offerings`` sheet with the header row (required
  columns in bold on a fill, frozen), dropdowns for every coded column, a ``codes``
  sheet the dropdowns read their lists from (inline lists are limited to 255
  characters), and an ``about`` sheet that explains every column and every code; or
- a ``.csv`` file holding just the header row.

Nothing here repeats a column name, alias or code: all of it comes from the spec,
so the template cannot drift from what the loader accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from etl import spec

if TYPE_CHECKING:  # openpyxl itself is imported only when a template is written
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

TEMPLATE_SUFFIXES = (".xlsx", ".csv")
OFFERINGS_SHEET = "offerings"
CODES_SHEET = "codes"
ABOUT_SHEET = "about"
LAST_ROW = 1_048_576  # Excel's last row: dropdowns cover the whole column

REQUIRED_FILL = "FFF2CC"  # pale yellow
HEADER_FILL = "D9E1F2"  # pale blue, for the about sheet's table headers
# Header cells given an Excel text format so that codes such as "00123" keep their zeros.
TEXT_FORMAT_KINDS = (spec.TEXT, spec.NOC_LIST, spec.PERIOD, spec.TEXT_LIST)


class TemplateError(ValueError):
    """The template cannot be written as asked (e.g. an unsupported file type)."""


def write_template(path: Path, institutions: list[spec.Institution] | None = None) -> None:
    """Write an empty submission template to ``path`` (``.xlsx`` or ``.csv``).

    ``institutions`` feeds the institution dropdown; by default the institutions
    reference of the current settings is read (no dropdown when it is unreadable).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEMPLATE_SUFFIXES:
        raise TemplateError(
            f"cannot write a template as {suffix or 'a file without a suffix'}: "
            f"name the file .xlsx (with dropdowns and column notes) or .csv (header only)"
        )
    if suffix == ".csv":
        # UTF-8 with a byte-order mark: Excel then keeps accents typed into the file.
        path.write_text(",".join(spec.COLUMN_NAMES) + "\r\n", encoding="utf-8-sig", newline="")
        return
    if institutions is None:
        institutions = _default_institutions()
    _write_xlsx(path, institutions)


def _default_institutions() -> list[spec.Institution]:
    from etl import config, reference

    try:
        return reference.read_institutions(config.settings().institutions_csv)
    except reference.ReferenceDataError:
        return []


# --- xlsx -----------------------------------------------------------------------


def _list_name(list_name: str) -> str:
    """The workbook-level defined name of a dropdown list."""
    return f"list_{list_name}"


def _dropdown_lists(institutions: list[spec.Institution]) -> dict[str, list[str]]:
    """Defined-name key -> values, for every code list used by a column (and institutions)."""
    lists: dict[str, list[str]] = {}
    if institutions:
        lists["institution"] = [i.code for i in institutions]
    for col in spec.COLUMNS:
        if col.code_list:
            lists.setdefault(col.code_list, spec.CODE_LISTS[col.code_list].values)
    return lists


def _column_list(col: spec.Column, lists: dict[str, list[str]]) -> str | None:
    if col.kind == spec.INSTITUTION:
        return "institution" if "institution" in lists else None
    return col.code_list


def _prompt(col: spec.Column) -> str:
    # Excel caps an input message at 255 characters.
    text = f"{col.description}. Accepted: {col.accepted}."
    return text if len(text) <= 255 else text[:252] + "..."


def _write_xlsx(path: Path, institutions: list[spec.Institution]) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    sheet = wb.worksheets[0]  # a new workbook's one sheet
    sheet.title = OFFERINGS_SHEET
    about = wb.create_sheet(ABOUT_SHEET)
    codes = wb.create_sheet(CODES_SHEET)

    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor=REQUIRED_FILL)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)

    # codes: one column per list; the dropdowns point at these ranges by name.
    lists = _dropdown_lists(institutions)
    for n, (key, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(n)
        codes.cell(row=1, column=n, value=key).font = bold
        for r, value in enumerate(values, start=2):
            codes.cell(row=r, column=n, value=value)
        codes.column_dimensions[letter].width = max(len(key), *(len(v) for v in values)) + 2
        ref = f"{quote_sheetname(CODES_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
        wb.defined_names[_list_name(key)] = DefinedName(_list_name(key), attr_text=ref)
    codes.freeze_panes = "A2"
    codes.sheet_state = "hidden"

    # offerings: the header row, marked, frozen, with dropdowns and prompts.
    for n, col in enumerate(spec.COLUMNS, start=1):
        letter = get_column_letter(n)
        cell = sheet.cell(row=1, column=n, value=col.name)
        cell.alignment = Alignment(vertical="top")
        if col.required:
            cell.font = bold
            cell.fill = required_fill
        cell.comment = Comment(
            f"{'Required' if col.required else 'Optional'}. {_prompt(col)}", "mcred", width=320, height=140
        )
        sheet.column_dimensions[letter].width = min(max(len(col.name), len(col.example)) + 4, 40)
        if col.kind in TEXT_FORMAT_KINDS:
            sheet.column_dimensions[letter].number_format = "@"
        elif col.kind == spec.DATE:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        target = f"{letter}2:{letter}{LAST_ROW}"
        list_key = _column_list(col, lists)
        if list_key:
            several = col.kind == spec.CODES
            dv = DataValidation(
                type="list",
                formula1=_list_name(list_key),
                allow_blank=True,
                # Aliases and (for partners) several codes separated by ; are accepted too,
                # so the dropdown guides without forbidding.
                showErrorMessage=not several,
                errorStyle="warning",
                errorTitle=f"Not a {col.name} code"[:32],  # Excel's limits: titles 32, texts 255
                error=f"Accepted: {col.accepted}. The loader also accepts the aliases listed on the about sheet."[:255],
                promptTitle=col.name[:32],
                prompt=_prompt(col),
                showInputMessage=True,
            )
        else:
            dv = DataValidation(
                type=None, allow_blank=True, promptTitle=col.name[:32], prompt=_prompt(col), showInputMessage=True
            )
        dv.add(target)
        sheet.add_data_validation(dv)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(spec.COLUMNS))}1"

    _write_about(about, lists, bold, required_fill, header_fill)
    wb.save(path)


def _write_about(
    about: Worksheet, lists: dict[str, list[str]], bold: Font, required_fill: PatternFill, header_fill: PatternFill
) -> None:
    from openpyxl.styles import Alignment

    wrap = Alignment(wrap_text=True, vertical="top")
    rows: list[tuple[list[str], str]] = []  # (cells, style)

    required = [c.name for c in spec.COLUMNS if c.required]
    rows.append((["Micro-credential submission template"], "title"))
    rows.append(
        (
            [
                f"One row per micro-credential offered in the reporting period, on the sheet "
                f"{OFFERINGS_SHEET!r}. Required columns ({len(required)}) are in bold on a coloured fill; the "
                f"others may be left empty. Coded columns have a dropdown; the aliases below are accepted too, "
                f"in any case. Header names may also be written with any of their aliases."
            ],
            "text",
        )
    )
    rows.append(
        (
            [
                f"The B.C. framework sets micro-credentials under {spec.MAX_MICRO_HOURS} hours, assessed, and "
                "aligned with industry, employer, community and/or Indigenous community needs: offerings that "
                "are not are loaded with a warning."
            ],
            "text",
        )
    )
    rows.append(([], "blank"))
    rows.append((["Columns"], "title"))
    rows.append((["column", "required", "what it holds", "accepted values", "header aliases", "example"], "header"))
    for col in spec.COLUMNS:
        rows.append(
            (
                [
                    col.name,
                    "yes" if col.required else "no",
                    col.description,
                    col.accepted,
                    ", ".join(col.aliases),
                    col.example,
                ],
                "required" if col.required else "row",
            )
        )
    rows.append(([], "blank"))
    rows.append((["Codes"], "title"))
    rows.append((["list", "code", "label", "meaning", "also accepted", "used by"], "header"))
    for list_name in lists:
        if list_name not in spec.CODE_LISTS:
            continue
        cl = spec.CODE_LISTS[list_name]
        used_by = ", ".join(c.name for c in spec.COLUMNS if c.code_list == list_name)
        for code in cl.codes:
            rows.append(
                (
                    [
                        list_name,
                        code.code,
                        code.label,
                        code.description or code.label,
                        ", ".join(code.aliases),
                        used_by,
                    ],
                    "row",
                )
            )

    for r, (cells, style) in enumerate(rows, start=1):
        for c, value in enumerate(cells, start=1):
            cell = about.cell(row=r, column=c, value=value)
            cell.data_type = "s"  # never a formula, whatever the text
            cell.alignment = wrap
            if style in ("title", "header"):
                cell.font = bold
            if style == "header":
                cell.fill = header_fill
            if style == "required" and c <= 2:
                cell.font = bold
                cell.fill = required_fill
        if style in ("title", "text"):
            about.merge_cells(start_row=r, start_column=1, end_row=r, end_column=6)
            about.cell(row=r, column=1).alignment = Alignment(wrap_text=True, vertical="top")
            if style == "text":
                about.row_dimensions[r].height = 45
    for letter, width in zip("ABCDEF", (28, 10, 48, 48, 48, 28)):
        about.column_dimensions[letter].width = width
    about.freeze_panes = "A1"
