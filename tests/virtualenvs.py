"""Virtual environments for tests that need Python packages apart from the project's own:
a DuckDB 1.4 client, an installed wheel. Made with the standard library's venv and filled
by pip from the package index (pip's cache keeps a second run quick).

Imported as ``from virtualenvs import ...`` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_TIMEOUT = 900


def bin_path(env: Path, name: str) -> Path:
    return env / "bin" / name


def create(env: Path) -> Path:
    """A fresh virtualenv at ``env`` with pip (never the system's site-packages); its python."""
    venv.EnvBuilder(with_pip=True, clear=True, system_site_packages=False).create(env)
    return bin_path(env, "python")


def pip_install(python: Path, *args: str) -> None:
    result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                            capture_output=True, text=True, timeout=PIP_TIMEOUT, env=_clean_env())
    if result.returncode:
        raise RuntimeError(f"pip install {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def cached(env: Path, requirements: list[str], probe: str) -> Path:
    """The python of a virtualenv at ``env`` holding ``requirements``, made once and reused
    while ``probe`` (Python code) runs in it; a lock beside it keeps two runs from racing."""
    env.parent.mkdir(parents=True, exist_ok=True)
    with open(env.with_name(env.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        python = bin_path(env, "python")
        if python.exists() and run(python, "-c", probe).returncode == 0:
            return python
        python = create(env)
        pip_install(python, *requirements)
        return python


def run(python: Path | str, *args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env=_clean_env())


def _clean_env() -> dict[str, str]:
    # Nothing of the test run's own interpreter may leak into the other environment.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(sys.prefix))
    return env
