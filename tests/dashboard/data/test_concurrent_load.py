"""Loads while the dashboard serves: ``mcred load`` runs in other processes while
threads keep building the overview and requesting pages. No request may fail, no
load may fail, every reader sees a whole published state, and afterwards the
dashboard shows the new data."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest

from dashboard.data import overview as queries
from dashboard.data.database import Database
from dashboard.data.filters import Filters

PROJECT_ROOT = Path(__file__).resolve().parents[3]
# New 2024/25 submissions: sizes 1, 2, 4, 8, 16, so that every set of finished loads
# gives a different offering count and a reader's count names the loads it saw.
NEW_SUBMISSIONS = {"SFU": 1, "UVIC": 2, "KPU": 4, "DOUG": 8, "JIBC": 16}
BASE_2024 = 8
PAUSE = 0.05  # between a reader's requests: busy, but leaves the loaders some CPU


def write_new_submissions(folder: Path, submission_writer) -> list[Path]:
    folder.mkdir()
    paths = []
    for inst, n in NEW_SUBMISSIONS.items():
        rows = [
            submission_writer.row(
                inst,
                "2024/25",
                f"N{i}",
                "technical_skill",
                "online",
                "non_credit",
                "employer_industry",
                "yes",
                10,
                5,
                field="health",
            )
            for i in range(n)
        ]
        paths.append(submission_writer.write(folder, f"{inst.lower()}_2024-25.csv", rows))
    return paths


@pytest.mark.slow
def test_the_dashboard_keeps_serving_while_submissions_load(
    fresh_warehouse, submission_writer, app_factory, dash_page, tmp_path
):
    from dashboard.context import EXTENSION_KEY

    db_path = fresh_warehouse.db_path
    files = write_new_submissions(tmp_path / "incoming", submission_writer)
    app = app_factory(db_path)
    shared_db: Database = app.server.extensions[EXTENSION_KEY]["db"]
    overview = dash_page("/")

    total = BASE_2024 + sum(NEW_SUBMISSIONS.values())
    valid_counts = {
        BASE_2024 + sum(combo)
        for r in range(len(NEW_SUBMISSIONS) + 1)
        for combo in itertools.combinations(NEW_SUBMISSIONS.values(), r)
    }
    stop = threading.Event()
    errors: list[str] = []
    seen: dict[str, list[int]] = {"shared": [], "fresh": []}  # offerings per reader, in order
    requests = {"overview": 0, "http": 0}

    def build_overviews(fresh_each_time: bool) -> None:
        while not stop.is_set():
            try:
                db = (Database(db_path) if fresh_each_time else shared_db).reader()
                vocab = queries.vocabulary(db)
                filters, _ = Filters.parse("period=2024/25", vocab)
                out = overview.build_overview(db, filters, "offerings", vocab)
                count = int(out.kpis[0].replace(",", ""))
                seen["fresh" if fresh_each_time else "shared"].append(count)
                if count not in valid_counts:
                    errors.append(f"offerings {count} is not a published state")
                requests["overview"] += 1
            except Exception:  # noqa: BLE001 - every failure is reported below
                errors.append(traceback.format_exc())
            stop.wait(PAUSE)

    def get_pages() -> None:
        client = app.server.test_client()
        while not stop.is_set():
            for url in ("/", "/?sector=college", "/_dash-layout"):
                try:
                    response = client.get(url)
                    if response.status_code != 200:
                        errors.append(f"GET {url}: HTTP {response.status_code}")
                    requests["http"] += 1
                except Exception:  # noqa: BLE001
                    errors.append(traceback.format_exc())
                stop.wait(PAUSE)

    threads = [
        threading.Thread(target=build_overviews, args=(False,)),
        threading.Thread(target=build_overviews, args=(True,)),
        threading.Thread(target=get_pages),
    ]
    vocab = queries.vocabulary(shared_db.reader())
    before = overview.build_overview(shared_db.reader(), Filters.parse("", vocab)[0], "offerings", vocab)
    assert before.kpis[0] == str(BASE_2024)
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        # Five loads in two rounds; within a round they run at once and queue on the loader lock.
        batches = [files[:2], files[2:]]
        results = []
        for batch in batches:
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "mcred.cli", "load", str(f), "--db", str(db_path)],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for f in batch
            ]
            for f, p in zip(batch, procs):
                out, err = p.communicate(timeout=120)
                results.append((f.name, p.returncode, out, err))
            time.sleep(0.3)  # let the readers see each published state
        # Every reader reads at least once after the last load (slow on a busy machine).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(c and c[-1] == total for c in seen.values()):
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)

    for name, code, out, err in results:
        assert code == 0, f"mcred load {name} exited {code}: {out}{err}"
        assert "ACCEPTED" in out, out
    assert errors == [], "\n".join(errors[:5])
    assert requests["overview"] >= 10 and requests["http"] >= 3, requests
    for reader, counts in seen.items():
        # A reader never sees older data after newer, and ends on the last load.
        assert counts == sorted(counts), reader
        assert counts[-1] == total, reader

    # Afterwards the running app, on its long-lived Database, shows the new data.
    vocab = queries.vocabulary(shared_db.reader())
    filters, _ = Filters.parse("", vocab)
    out = overview.build_overview(shared_db.reader(), filters, "offerings", vocab)
    assert out.kpis[:2] == [str(total), str(3 + len(NEW_SUBMISSIONS))]
    page = app.server.test_client().get("/")
    assert page.status_code == 200
    layout = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert "Data version" in layout
