"""The ETL, run in a child process: ``python -m mcred.portal`` (the dashboard never imports ``etl``).

The uploaded bytes are written to a private temporary folder beside the warehouse, handed
to the child by path and removed afterwards; the child answers with one JSON object.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHECK_TIMEOUT = 300  # seconds: a 50 MB workbook is read and checked in well under a minute
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


class WorkerError(Exception):
    """The child process could not do its work; the message says why (never a traceback)."""


def safe_file_name(name: str) -> str:
    """The uploaded file's name as kept: no folders, no control or shell characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .") or "upload"
    return base[-120:]


@contextmanager
def _staged(db_path: Path, file_name: str, content: bytes) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=f".{db_path.name}.portal-", dir=db_path.parent))
    try:
        path = folder / safe_file_name(file_name)
        path.write_bytes(content)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def clear_stale(db_path: Path) -> None:
    """Temporary folders left by a process killed mid-check or mid-accept (only call while no worker runs)."""
    for stale in db_path.parent.glob(f".{db_path.name}.portal-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _run(args: list[str], *, timeout: float | None, pass_fds: tuple[int, ...] = ()) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mcred.portal", *args],
            capture_output=True,
            timeout=timeout,
            pass_fds=pass_fds,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise WorkerError(f"checking the file took longer than {timeout:.0f} s and was stopped") from exc
    try:
        result = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise WorkerError(f"the checking process failed ({detail[0][:200]})") from None
    if not isinstance(result, dict):
        raise WorkerError("the checking process answered something other than a report")
    if "error" in result:
        raise WorkerError(str(result["error"]))
    return result


def check(db_path: Path, file_name: str, content: bytes, threshold: float) -> dict[str, Any]:
    """The validation report of one uploaded file, as ``mcred.portal check`` makes it."""
    with _staged(db_path, file_name, content) as path:
        return _run(
            [
                "check",
                "--db",
                str(db_path),
                "--threshold",
                str(threshold),
                str(path),
            ],
            timeout=CHECK_TIMEOUT,
        )


def accept(db_path: Path, file_name: str, content: bytes, request: dict[str, Any], lock_fd: int) -> dict[str, Any]:
    """Load an accepted draft (``mcred.portal accept``). The child inherits ``lock_fd`` (the accept
    lock), so the lock is held for as long as the load runs, even if this process dies."""
    with _staged(db_path, file_name, content) as path:
        request_file = path.with_name("request.json")
        request_file.write_text(json.dumps(request, default=str), encoding="utf-8")
        os.set_inheritable(lock_fd, True)
        return _run(
            ["accept", "--db", str(db_path), "--request", str(request_file), str(path)],
            timeout=None,
            pass_fds=(lock_fd,),
        )


def template(folder: Path) -> Path:
    """The submission template (.xlsx), written into ``folder`` by ``mcred.portal template``."""
    out = folder / "mcred-submission-template.xlsx"
    _run(["template", "--out", str(out)], timeout=CHECK_TIMEOUT)
    return out
