"""A small fixture warehouse for the dashboard tests, counted by hand.

Submissions are written as CSV files in a temporary folder and loaded through
``etl.load.load_files``, exactly as an institution's files would be. The rows are
listed below so that every expected number in the tests can be checked by eye.

Institutions: BCIT (institute), UBC (research_university), CAM (college),
CAPU (teaching_university). Periods 2022/23, 2023/24, 2024/25 (the latest).

2024/25 (current)                                                             enr  comp
  BCIT B1 technical_skill  online  non_credit  employer;professional  CE yes   30   24  math_cs
  BCIT B2 upskilling       blended credit(3)   employer               CE no    20   15  engineering  ladders
  BCIT B3 technical_skill  onsite  non_credit  none                   CE no    10    5  (no field) 300 h, no assessment
  UBC  U1 pathway          online  credit(3)   indigenous;community   CE no    40   30  education    ladders
  UBC  U2 transferable     online  non_credit  community              CE yes   25   20  business
  CAM  C1 technical_skill  onsite  non_credit  employer               CE yes   15   12  health
  CAM  C2 upskilling       blended non_credit  employer;indig;govt    CE yes   12    9  health       ladders
  CAM  C3 teaser           online  non_credit  none                   CE no     8    8  math_cs
  -> 8 offerings, 3 institutions, 160 enrolments, 123 completions, CE 4/8 = 50 %
  A first BCIT 2024/25 file (one offering, X1) is superseded by the one above;
  CAPU's 2024/25 file is rejected (an unknown type), so CAPU has no 2024/25 data.

2023/24
  BCIT B1 technical_skill  online  non_credit  employer               CE yes   25   20
  BCIT B2 upskilling       onsite  non_credit  none                   CE no    10    6
  UBC  U1 pathway          online  credit(3)   indigenous             CE no    35   25
  CAPU P1 transferable     blended non_credit  community;employer     CE yes   18   14
  CAPU P2 technical_skill  online  non_credit  employer               CE yes   12   10
  -> 5 offerings, 3 institutions, 100 enrolments, 75 completions, CE 3/5 = 60 %

2022/23
  CAM  C1 technical_skill  onsite  non_credit  employer               CE yes   10    7
  CAM  C2 pathway          online  credit(3)   other_institution      CE no     6    4
  -> 2 offerings, 1 institution, 16 enrolments, 11 completions, CE 1/2

All periods: 15 offerings, 4 institutions, 276 enrolments, 209 completions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files

COLUMNS = (
    "institution_code",
    "reporting_period",
    "offering_id",
    "title",
    "mc_type",
    "delivery_mode",
    "credit_status",
    "credits",
    "partner_categories",
    "continuing_education",
    "duration_hours",
    "assessment",
    "ladders_to_credential",
    "field_of_study",
    "ministry_funded",
    "enrolments",
    "completions",
)
HEADER = ",".join(COLUMNS)


def row(
    inst,
    period,
    oid,
    mc_type,
    delivery,
    credit,
    partners,
    ce,
    enrolments,
    completions,
    *,
    field="",
    hours="40",
    assessment="yes",
    ladders="no",
    funded="no",
    title=None,
) -> dict:
    return {
        "institution_code": inst,
        "reporting_period": period,
        "offering_id": oid,
        "title": title or f"{inst} offering {oid}",
        "mc_type": mc_type,
        "delivery_mode": delivery,
        "credit_status": credit,
        "credits": "3" if credit == "credit" else "",
        "partner_categories": partners,
        "continuing_education": ce,
        "duration_hours": hours,
        "assessment": assessment,
        "ladders_to_credential": ladders,
        "field_of_study": field,
        "ministry_funded": funded,
        "enrolments": str(enrolments),
        "completions": str(completions),
    }


P24, P23, P22 = "2024/25", "2023/24", "2022/23"

# file name -> rows; loaded in this order (the draft first, so the later file supersedes it).
DRAFT = {
    "bcit_2024-25_draft.csv": [
        row("BCIT", P24, "X1", "teaser", "online", "non_credit", "community", "yes", 99, 1, field="other"),
    ]
}
SUBMISSIONS: dict[str, list[dict]] = {
    "bcit_2024-25.csv": [
        row(
            "BCIT",
            P24,
            "B1",
            "technical_skill",
            "online",
            "non_credit",
            "employer_industry;professional_body",
            "yes",
            30,
            24,
            field="math_computer_science",
        ),
        row(
            "BCIT",
            P24,
            "B2",
            "upskilling",
            "blended",
            "credit",
            "employer_industry",
            "no",
            20,
            15,
            field="engineering_architecture",
            hours="120",
            ladders="yes",
            funded="yes",
        ),
        row(
            "BCIT",
            P24,
            "B3",
            "technical_skill",
            "onsite",
            "non_credit",
            "none",
            "no",
            10,
            5,
            field="",
            hours="300",
            assessment="no",
            funded="",
        ),
    ],
    "ubc_2024-25.csv": [
        row(
            "UBC",
            P24,
            "U1",
            "pathway",
            "online",
            "credit",
            "indigenous_community;community",
            "no",
            40,
            30,
            field="education",
            hours="60",
            ladders="yes",
            funded="yes",
        ),
        row(
            "UBC",
            P24,
            "U2",
            "transferable_skill",
            "online",
            "non_credit",
            "community",
            "yes",
            25,
            20,
            field="business_management",
            hours="20",
        ),
    ],
    "cam_2024-25.csv": [
        row(
            "CAM",
            P24,
            "C1",
            "technical_skill",
            "onsite",
            "non_credit",
            "employer_industry",
            "yes",
            15,
            12,
            field="health",
            hours="80",
        ),
        row(
            "CAM",
            P24,
            "C2",
            "upskilling",
            "blended",
            "non_credit",
            "employer_industry;indigenous_community;government",
            "yes",
            12,
            9,
            field="health",
            hours="45",
            ladders="yes",
            funded="yes",
        ),
        row(
            "CAM",
            P24,
            "C3",
            "teaser",
            "online",
            "non_credit",
            "none",
            "no",
            8,
            8,
            field="math_computer_science",
            hours="10",
        ),
    ],
    "capu_2024-25_rejected.csv": [
        row("CAPU", P24, "P9", "no_such_type", "online", "non_credit", "community", "yes", 5, 5),
    ],
    "bcit_2023-24.csv": [
        row(
            "BCIT",
            P23,
            "B1",
            "technical_skill",
            "online",
            "non_credit",
            "employer_industry",
            "yes",
            25,
            20,
            field="math_computer_science",
        ),
        row("BCIT", P23, "B2", "upskilling", "onsite", "non_credit", "none", "no", 10, 6, field="health", hours="30"),
    ],
    "ubc_2023-24.csv": [
        row(
            "UBC",
            P23,
            "U1",
            "pathway",
            "online",
            "credit",
            "indigenous_community",
            "no",
            35,
            25,
            field="education",
            hours="60",
            ladders="yes",
        ),
    ],
    "capu_2023-24.csv": [
        row(
            "CAPU",
            P23,
            "P1",
            "transferable_skill",
            "blended",
            "non_credit",
            "community;employer_industry",
            "yes",
            18,
            14,
            field="business_management",
            hours="24",
        ),
        row(
            "CAPU",
            P23,
            "P2",
            "technical_skill",
            "online",
            "non_credit",
            "employer_industry",
            "yes",
            12,
            10,
            field="math_computer_science",
            hours="16",
        ),
    ],
    "cam_2022-23.csv": [
        row(
            "CAM",
            P22,
            "C1",
            "technical_skill",
            "onsite",
            "non_credit",
            "employer_industry",
            "yes",
            10,
            7,
            field="health",
            hours="80",
        ),
        row(
            "CAM", P22, "C2", "pathway", "online", "credit", "other_institution", "no", 6, 4, field="health", hours="60"
        ),
    ],
}


def _cell(value: str) -> str:
    return f'"{value}"' if any(ch in value for ch in ',;"') else value


def write_submission(folder: Path, name: str, rows: list[dict]) -> Path:
    path = folder / name
    lines = [HEADER] + [",".join(_cell(r[c]) for c in COLUMNS) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_warehouse(folder: Path, data_dir: Path = DEFAULT_DATA_DIR) -> Settings:
    """Write the fixture submissions into ``folder`` and load them into ``folder/warehouse.duckdb``."""
    files = folder / "submissions"
    files.mkdir(parents=True, exist_ok=True)
    settings = Settings(db_path=folder / "warehouse.duckdb", data_dir=data_dir)
    draft = [write_submission(files, n, rows) for n, rows in DRAFT.items()]
    outcomes = load_files(draft, settings)
    assert [o.status for o in outcomes] == ["accepted"]
    paths = [write_submission(files, n, rows) for n, rows in SUBMISSIONS.items()]
    outcomes = load_files(paths, settings)
    statuses = {o.file: o.status for o in outcomes}
    expected = {n: ("rejected" if "rejected" in n else "accepted") for n in SUBMISSIONS}
    assert statuses == expected, [(o.file, o.status, o.issues) for o in outcomes]
    return settings


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Settings:
    """The fixture warehouse (session-wide: tests only read it)."""
    return build_warehouse(tmp_path_factory.mktemp("warehouse"))


@pytest.fixture(scope="session")
def db_path(warehouse) -> Path:
    return warehouse.db_path


@pytest.fixture
def db(db_path):
    from dashboard.data.database import Database

    return Database(db_path).reader()


@pytest.fixture
def vocab(db):
    from dashboard.data import overview as queries

    return queries.vocabulary(db)


@pytest.fixture
def parse(vocab):
    """Filters from a query string against the fixture's vocabulary (strict)."""
    from dashboard.data.filters import Filters

    def _parse(query: str = "", strict: bool = True):
        filters, _problems = Filters.parse(query, vocab, strict=strict)
        return filters

    return _parse


def targets_data_dir(folder: Path, toml: str) -> Path:
    """A data folder with the committed reference data and the given targets.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("institutions.csv", "deadlines.toml"):
        if (DEFAULT_DATA_DIR / name).exists():
            shutil.copy(DEFAULT_DATA_DIR / name, folder / name)
    (folder / "targets.toml").write_text(toml, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def warehouse_with_targets(tmp_path_factory):
    """build(toml) -> Settings: the fixture warehouse loaded with the given data/targets.toml."""

    def build(toml: str) -> Settings:
        folder = tmp_path_factory.mktemp("targets")
        return build_warehouse(folder, data_dir=targets_data_dir(folder / "data", toml))

    return build


@pytest.fixture(scope="session")
def submission_writer():
    """write(folder, name, rows) -> Path, and row(...) for the rows: the fixture's CSV format."""
    from types import SimpleNamespace

    return SimpleNamespace(write=write_submission, row=row, files=SUBMISSIONS)


# --- the Dash app -------------------------------------------------------------------------


def make_app(db_path: Path, access=None):
    """A dashboard app that owns its page callbacks.

    Dash executes the pages folder again for every app it creates
    (dash._pages._import_layouts_from_pages), and each execution adds the page's
    ``@dash.callback`` functions to process-wide lists (dash._callback.GLOBAL_CALLBACK_MAP
    and GLOBAL_CALLBACK_LIST). The first app to serve any request takes whatever is in
    those lists (Dash._setup_server). With several apps in one process, an app that
    never served a request leaves its callbacks to the next one, which then declares
    every page callback twice (GET /_dash-dependencies lists them twice), while the
    first app has none and its pages never fill in. So leftovers of apps that never served (made by other tests)
    are dropped first (creating the app registers the pages' callbacks afresh), and one
    request right after creation makes this app take its own. A server process creates
    one app, so only tests need this.
    """
    from dash import _callback

    from dashboard.app import create_app
    from dashboard.settings import DashboardSettings

    for leftovers in (_callback.GLOBAL_CALLBACK_LIST, _callback.GLOBAL_CALLBACK_MAP, _callback.GLOBAL_INLINE_SCRIPTS):
        leftovers.clear()
    settings = DashboardSettings(db_path=Path(db_path))
    if access is not None:  # dashboard.access.settings.AccessSettings: who may look
        settings = DashboardSettings(db_path=Path(db_path), access=access)
    app = create_app(settings)
    # With sign-in on, an open route makes the app take its callbacks (Dash sets itself up on
    # the first request of any kind).
    response = app.server.test_client().get("/_dash-dependencies" if access is None else "/healthz")
    assert response.status_code == 200
    return app


def page_module(path: str = "/"):
    """The page module that Dash imported for ``path`` (importing dashboard.pages.* directly
    would register the page and its callbacks a second time)."""
    import sys

    import dash

    (module,) = [name for name, page in dash.page_registry.items() if page["path"] == path]
    return sys.modules[module]


@pytest.fixture(scope="module")
def overview_app(db_path):
    return make_app(db_path)


@pytest.fixture(scope="module")
def overview(overview_app):
    """dashboard/pages/overview.py as Dash imported it for ``overview_app``."""
    return page_module("/")


@pytest.fixture(scope="session")
def app_factory():
    """make_app, for tests that start their own app."""
    return make_app


@pytest.fixture
def fresh_warehouse(tmp_path) -> Settings:
    """The fixture warehouse, built for one test that changes it."""
    return build_warehouse(tmp_path / "fresh")


@pytest.fixture(scope="session")
def dash_page():
    """page_module: the module Dash imported for a page path."""
    return page_module
