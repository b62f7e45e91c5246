"""A workbook written by another program, uploaded through /submit's own callbacks: LibreOffice
(headless) turns a CSV file into an .xlsx with a formula cell and a cell linked to another
workbook; a copy made macro-enabled (a VBA project part and the .xlsm content type, as Excel
saves one) keeps the name .xlsx. The page answers 200 each time and its report names what and
where: the formula's saved result is read (never run), the linked cell is an error naming the
cell and the linked file, the links and the macros are warnings; no traceback reaches the page.
(One LibreOffice run and two uploads: each upload's check is a process of its own.)"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from submit_helpers import BCIT, bcit_file

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="needs LibreOffice (make system-deps installs libreoffice-calc-nogui)"),
]
DRAFT_INPUT = '{"default":"","name":"draft","type":"urlparam"}'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _soffice(tmp: Path, target: str, source: Path) -> Path:
    run = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp / 'lo-profile'}",  # its own profile: no clash with another soffice
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(tmp),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = tmp / f"{source.stem}.{target.split(':')[0]}"
    assert run.returncode == 0 and out.exists(), run.stderr + run.stdout
    return out


def _with_macros(workbook: Path, out: Path) -> Path:
    """``workbook`` made macro-enabled as Excel saves an .xlsm: the macro-enabled main part type
    and a VBA project part (never run, so its bytes only need to be there: an OLE header and a
    macro's source)."""
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
                assert main in data
                data = data.replace(main, b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                rel = (
                    b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
                    b'vbaProject" Target="vbaProject.bin"/></Relationships>'
                )
                data = data.replace(b"</Relationships>", rel)
            dst.writestr(info, data)
        macro = b'Attribute VB_Name = "Module1"\nSub Auto_Open()\n  Shell "calc.exe"\nEnd Sub\n'
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + macro)
    return out


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("other-programs")
    lines = bcit_file().decode().splitlines()
    header = lines[0].split(",")
    first, second = lines[1].split(","), lines[2].split(",")
    first[header.index("enrolments")] = "=20+1"  # a formula LibreOffice calculates and saves: 21
    second[header.index("title")] = "='file:///tmp/budget-2025.ods'#$Sheet1.A1"  # a link to another workbook
    linked = tmp / "bcit_linked.csv"
    linked.write_text("\n".join([lines[0], ",".join(first), ",".join(second), lines[3]]) + "\n", encoding="utf-8")
    workbook = _soffice(tmp, "xlsx", linked)
    return {"linked": workbook, "macros": _with_macros(workbook, tmp / "bcit_macros.xlsx")}


def _upload(cb, client, name: str, content: bytes, upload_body) -> tuple[str, str]:
    """(the upload's message, the report panel) as the page shows them."""
    response = cb.post(
        client,
        "submit-upload-message.children",
        {"submit-upload.filename": name, "submit-upload": upload_body(content, XLSX)},
        triggered="submit-upload.contents",
    )
    assert response.status_code == 200, response.text
    body = response.get_json()["response"]
    draft = next(v["value"] for k, v in body.items() if k.startswith("{") and "draft" in k)
    panel = cb.post(client, "submit-panel.children", {DRAFT_INPUT: str(draft), "submit-refresh": 0})
    assert panel.status_code == 200, panel.text
    return str(body), panel.get_data(as_text=True)


def test_workbooks_from_other_programs_get_a_report_naming_what_and_where(
    workbooks, portal_app, client_as, callbacks, upload_body, portal_of
):
    app = portal_app()
    lee = client_as(app, BCIT)
    cb = callbacks(lee)
    panels = {}
    for page in ("linked", "macros"):
        message, panels[page] = _upload(cb, lee, workbooks[page].name, workbooks[page].read_bytes(), upload_body)
        assert "was checked and kept as draft" in message, message
        assert "Traceback" not in message + panels[page], panels[page]
    # The page's report says it (the grid's rows and the phone's list).
    assert panels["linked"].count("cell D3 takes its value from another workbook (") == 2, panels["linked"]
    assert panels["macros"].count("its macros were not run") == 2 and "its macros" not in panels["linked"]

    drafts = {d.file_name: d for d in portal_of(app).store.drafts(owner="BCIT", every_owner=False, limit=8)}
    for name, macros in (("bcit_linked.xlsx", False), ("bcit_macros.xlsx", True)):
        draft = drafts[name]
        issues = [i for s in draft.submissions for i in s["issues"]]
        by_rule = {i["rule"]: i for i in issues}
        # The linked cell: an error at its row and column, naming the cell and the linked file.
        link = by_rule["external_link"]
        assert (link["severity"], link["row"], link["column"]) == ("error", 3, "title")
        assert "cell D3" in link["message"] and "budget-2025.ods" in link["message"]
        # The workbook's links: a warning naming the file.
        assert by_rule["workbook_external_links"]["severity"] == "warning"
        assert "budget-2025.ods" in by_rule["workbook_external_links"]["message"]
        # The formula's saved result was read, not run: no issue about row 2's enrolments (21 is valid).
        assert not [i for i in issues if i["row"] == 2 and i["column"] == "enrolments"]
        # Every error is that cell's (the link, and the title it leaves empty); all rows were checked.
        assert {(i["row"], i["column"]) for i in issues if i["severity"] == "error"} == {(3, "title")}
        assert draft.rows_total == 3
        # The macros: a warning naming their part, never run.
        notes = [i for i in issues if i["rule"] == "workbook_macros"]
        assert len(notes) == int(macros)
        assert all(n["severity"] == "warning" and "xl/vbaProject.bin" in n["message"] for n in notes)
