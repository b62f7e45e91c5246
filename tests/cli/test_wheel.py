"""mcred as an installed product: the wheel, installed into a fresh virtualenv outside the
checkout, runs from another folder (no checkout on sys.path) with its assets, reference data
and bundled sample read as package data: ``mcred sample``, ``mcred load``, ``mcred serve``."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from virtualenvs import ROOT, bin_path, create, pip_install, run

# What a wheel is built from: the source tree without the local environments and outputs.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                    "*.duckdb", "*.duckdb.*", ".*.duckdb.next-*", "screenshots", "benchmarks",
                                    "tests")
SERVE_WAIT_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh virtualenv holding the wheel built from this checkout."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    built = run(sys.executable,
                "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check", "-w", str(base / "dist"),
                str(source), timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("mcred-*.whl")
    python = create(base / "venv")
    pip_install(python, str(wheel))
    return python.parent


@pytest.mark.slow
def test_the_wheel_installed_elsewhere_samples_loads_and_serves(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    mcred = str(bin_path(installed.parent, "mcred"))

    where = run(installed / "python", "-c", "import etl, dashboard; print(etl.__file__); print(dashboard.__file__)",
                cwd=work)
    assert where.returncode == 0, where.stderr
    assert all(Path(p).is_relative_to(installed.parent) for p in where.stdout.split()), where.stdout

    made = run(mcred, "sample", "--out", "submissions", "--offerings", "300", cwd=work)
    assert made.returncode == 0, made.stderr
    assert len(list((work / "submissions").iterdir())) > 100
    loaded = run(mcred, "load", "submissions", "--db", "mine.duckdb", cwd=work)
    assert loaded.returncode == 1, loaded.stderr  # 1: the sample's deliberately faulty files are rejected
    assert "accepted" in loaded.stdout and (work / "mine.duckdb").exists()

    # serve builds its warehouse from the bundled sample when the database is missing.
    port = _free_port()
    server = subprocess.Popen([mcred, "serve", "--db", "bundled.duckdb", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + SERVE_WAIT_SECONDS
        status, page = 0, b""
        while time.monotonic() < deadline and server.poll() is None:
            with contextlib.suppress(OSError):
                status, page = _get(f"http://127.0.0.1:{port}/")
                if status == 200:
                    break
            time.sleep(0.5)
        assert status == 200, (server.poll(), status)
        assert b"mcred.js" in page  # Dash links the asset it found in the package
        js_status, js = _get(f"http://127.0.0.1:{port}/assets/mcred.js")
        assert js_status == 200 and js.strip()
        css_status, _ = _get(f"http://127.0.0.1:{port}/assets/vendor/bootstrap-flatly-5.3.8.min.css")
        assert css_status == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "loaded 123 sample submissions" in output, output
