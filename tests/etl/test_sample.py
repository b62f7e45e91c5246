"""The synthetic sample: accepted spellings, determinism, the committed copy, and the
picture it gives once loaded (every database built in tmp_path)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from etl import sample, spec
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from etl.reference import read_institutions
from etl.status import reporting_status
from etl.validate import parse_period, partner_codes
from etl.warehouse import read_only

COMMITTED = DEFAULT_DATA_DIR / "sample"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".csv", ".xlsx")}


def _planned_rejections() -> set[str]:
    """File stems the scenario means to be rejected."""
    return {f"{year}_{code}_1" for code, year in (*sample.REJECTED_ONLY, *sample.CORRECTED)}


# --- the spellings are ones the format accepts --------------------------------------------------


@pytest.mark.parametrize("set_name", sorted(sample.HEADER_SETS))
def test_every_header_spelling_names_its_column(set_name):
    for column, header in sample.HEADER_SETS[set_name].items():
        assert spec.match_header(header) == column, (set_name, header)
    assert set(sample.HEADER_SETS[set_name]) == set(spec.COLUMN_NAMES)


@pytest.mark.parametrize("set_name", sorted(sample.VALUE_SETS))
def test_every_value_spelling_maps_to_its_code(set_name):
    values = sample.VALUE_SETS[set_name]
    for list_name in ("mc_type", "delivery_mode", "credit_status", "recognition", "field_of_study"):
        lookup = spec.CODE_LISTS[list_name].lookup()
        for code in spec.CODE_LISTS[list_name].values:
            assert lookup.get(spec.normalize_key(values.spell(list_name, code))) == code, (list_name, code)
    booleans = spec.CODE_LISTS["boolean"].lookup()
    yes, no = values.yes_no or ("yes", "no")
    assert (booleans[spec.normalize_key(yes)], booleans[spec.normalize_key(no)]) == ("yes", "no")
    for mask, text in enumerate(sample.partner_vocabulary(values)):
        codes, problem = partner_codes(text)
        expected = [p for bit, p in enumerate(sample.PARTNERS) if mask >> bit & 1] or ["none"]
        assert problem is None and set(codes) == set(expected), text


def test_every_period_format_parses_to_the_canonical_period():
    for style in sample.PERIOD_FORMATS:
        assert parse_period(sample.period_text(2024, style)) == "2024/25", style


# --- determinism and the committed copy -------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_another_seed_other_bytes(tmp_path):
    first = _files_of(sample.write_sample(tmp_path / "a", seed=11, offerings=600))
    again = _files_of(sample.write_sample(tmp_path / "b", seed=11, offerings=600))
    other = _files_of(sample.write_sample(tmp_path / "c", seed=12, offerings=600))
    assert first == again
    assert first.keys() == other.keys()
    assert all(first[name] != other[name] for name in first)


def _files_of(paths: list[Path]) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in paths}


def test_committed_sample_is_what_mcred_sample_writes(tmp_path):
    fresh = _files_of(sample.write_sample(tmp_path))
    committed = _files(COMMITTED)
    assert sorted(committed) == sorted(fresh), "data/sample is stale: run mcred sample --out etl/data/sample"
    differing = [name for name in fresh if fresh[name] != committed[name]]
    assert not differing, f"data/sample is stale ({differing[:3]}...): run mcred sample --out etl/data/sample"
    manifest = (tmp_path / sample.RECEIVED_FILE).read_bytes()
    assert (COMMITTED / sample.RECEIVED_FILE).read_bytes() == manifest, "data/sample/received.toml is stale"


def test_every_sample_file_has_a_receipt_time_and_some_came_after_the_deadline(tmp_path):
    written = sample.write_sample(tmp_path, offerings=600)
    received = sample.read_received(tmp_path)
    assert sorted(received) == sorted(p.name for p in written)
    late, on_time = [], []
    for name, moment in received.items():
        year = int(name[:4])
        deadline_end = datetime(year + 1, 7, 1, tzinfo=ZoneInfo("America/Vancouver"))  # June 30, end of day
        (late if moment >= deadline_end else on_time).append(name)
        assert 9 <= moment.astimezone(ZoneInfo("America/Vancouver")).hour < 17, name
    assert len(on_time) > 3 * len(late) > 0  # a believable mix: mostly on time, a few late
    # a correction or revision arrives after the file it replaces
    assert received["2024_CAM_2.csv"] > received["2024_CAM_1.csv"]
    assert received["2023_UBC_2.xlsx"] > received["2023_UBC_1.xlsx"]


def test_default_sample_has_a_few_thousand_offerings_in_about_120_files():
    institutions = read_institutions(DEFAULT_DATA_DIR / "institutions.csv")
    planned = sample.plan_files(institutions)
    total = sum(sample.pair_sizes(institutions, sample.DEFAULT_OFFERINGS, sample.DEFAULT_SEED).values())
    assert 110 <= len(planned) <= 125
    assert 3_000 <= total <= 5_000
    kinds = {p.suffix for p in COMMITTED.iterdir()}
    assert kinds == {".csv", ".xlsx", ".toml"}  # the submissions and received.toml


def test_regenerating_removes_stale_sample_files_only(tmp_path):
    (tmp_path / "2019_UBC_7.csv").write_text("stale")
    (tmp_path / "notes.txt").write_text("mine")
    progress = []
    written = sample.write_sample(
        tmp_path, offerings=300, on_progress=lambda n, total, name: progress.append((n, total, name))
    )
    names = {p.name for p in tmp_path.iterdir()}
    assert "2019_UBC_7.csv" not in names and "notes.txt" in names
    assert names - {"notes.txt", sample.RECEIVED_FILE} == {p.name for p in written}
    assert progress[-1][:2] == (len(written), len(written))


def test_offerings_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        sample.write_sample(tmp_path, offerings=0)


# --- loaded, the sample gives the picture the dashboard needs -----------------------------------------


def test_committed_sample_loads_with_only_the_intended_rejections(settings: Settings):
    outcomes = load_files([COMMITTED], settings, received=sample.read_received(COMMITTED))

    rejected = {Path(o.file).stem for o in outcomes if o.status == "rejected"}
    assert rejected == _planned_rejections()
    assert all(o.status == "accepted" for o in outcomes if Path(o.file).stem not in rejected)
    # Errors only where the scenario put them; warnings are the framework flags and planned oddities.
    assert all(o.errors == 0 for o in outcomes if o.status == "accepted")

    with read_only(settings.db_path) as con:
        assert con.execute("SELECT count(DISTINCT institution_code) FROM current_offerings").fetchone()[0] == 25
        assert con.execute("SELECT count(DISTINCT reporting_period) FROM current_offerings").fetchone()[0] == 5
        superseded = con.execute("SELECT count(*) FROM submissions WHERE superseded_by IS NOT NULL").fetchone()[0]
        assert superseded >= 1
        rules = {r[0] for r in con.execute("SELECT DISTINCT rule FROM validation_issues").fetchall()}
        assert {"over_duration", "no_assessment", "no_partner", "unknown_column", "duplicate_title"} <= rules
        shares = {
            sector: (ce, credit)
            for sector, ce, credit in con.execute("""
            SELECT sector, avg(continuing_education::INT), avg((credit_status = 'credit')::INT)
            FROM current_offerings GROUP BY sector
        """).fetchall()
        }
        rates = con.execute(
            "SELECT sum(completions) / sum(enrolments), max(completions - enrolments) FROM current_offerings"
        ).fetchone()
        by_year = [
            r[0]
            for r in con.execute(
                "SELECT count(*) FROM current_offerings GROUP BY reporting_period ORDER BY reporting_period"
            ).fetchall()
        ]
        non_ascii_titles = con.execute(
            "SELECT count(*) FROM current_offerings WHERE NOT regexp_matches(title, '^[ -~]*$')"
        ).fetchone()[0]

    ce = {sector: v[0] for sector, v in shares.items()}
    credit = {sector: v[1] for sector, v in shares.items()}
    assert ce["college"] > ce["teaching_university"] > ce["research_university"]
    assert credit["research_university"] > credit["teaching_university"] > credit["college"]
    assert 0.6 <= rates[0] <= 0.9 and rates[1] <= 0
    assert by_year[-1] > by_year[0]  # uptake grows
    assert non_ascii_titles > 0  # the Windows-1252 files came through with their accents

    status = reporting_status(settings.db_path)
    missing = {
        (i["code"], p) for i in status["institutions"] for p, s in i["periods"].items() if s["status"] == "missing"
    }
    assert missing == {(code, f"{year}/{(year + 1) % 100:02d}") for code, year in sample.NOT_REPORTED}
    still_rejected = {
        (i["code"], p) for i in status["institutions"] for p, s in i["periods"].items() if s["status"] == "rejected"
    }
    assert still_rejected == {(code, f"{year}/{(year + 1) % 100:02d}") for code, year in sample.REJECTED_ONLY}
    # loaded at their receipt times: late exactly where the scenario sent files after the deadline
    late = {(i["code"], p) for i in status["institutions"] for p, s in i["periods"].items() if s.get("late")}
    assert late == {(code, f"{year}/{(year + 1) % 100:02d}") for code, year in sample.LATE}


@pytest.mark.slow
def test_offerings_scales_the_sample(settings: Settings, tmp_path):
    folder = tmp_path / "scaled"
    sample.write_sample(folder, offerings=20_000)
    load_files([folder], settings)
    with read_only(settings.db_path) as con:
        current = con.execute("SELECT count(*) FROM current_offerings").fetchone()[0]
    assert 18_000 <= current <= 21_000
