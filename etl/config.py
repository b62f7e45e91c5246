"""ETL settings: one typed, frozen object. The only module that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from etl.editchecks import DEFAULT_THRESHOLD
from etl.warehouse import DEFAULT_MEMORY_LIMIT, DEFAULT_STORAGE_VERSION, Writer

# The reference data that ships with mcred (institutions.csv, targets.toml, deadlines.toml)
# and the bundled sample submissions (sample/): package data, wherever mcred is installed.
# MCRED_DATA_DIR names a folder of one's own copies instead (see README).
DEFAULT_DATA_DIR = Path(str(resources.files("etl") / "data"))
SAMPLE_DIR = DEFAULT_DATA_DIR / "sample"
DEFAULT_DB = Path("data") / "microcredentials.duckdb"


@dataclass(frozen=True)
class Settings:
    db_path: Path
    data_dir: Path = DEFAULT_DATA_DIR
    load_memory_limit: str = DEFAULT_MEMORY_LIMIT  # DuckDB memory budget of a load (spills past it)
    storage_version: str = DEFAULT_STORAGE_VERSION  # DuckDB storage format the warehouse is written in
    edit_threshold: float = DEFAULT_THRESHOLD  # share of change that an edit check flags (etl.editchecks)

    @property
    def institutions_csv(self) -> Path:
        return self.data_dir / "institutions.csv"

    @property
    def targets_toml(self) -> Path:
        return self.data_dir / "targets.toml"

    @property
    def deadlines_toml(self) -> Path:
        return self.data_dir / "deadlines.toml"

    @property
    def sample_dir(self) -> Path:
        """The bundled sample submissions (what ``mcred serve`` builds a missing warehouse from)."""
        return SAMPLE_DIR

    def writer(self, on_wait: Callable[[str], None] | None = None) -> Writer:
        """The one writer of this warehouse (a load, a restore), with this memory budget and storage version."""
        return Writer(
            self.db_path, on_wait=on_wait, memory_limit=self.load_memory_limit, storage_version=self.storage_version
        )


class SettingsError(ValueError):
    """A setting in the environment is wrong; the message names it and what is accepted."""


def edit_threshold(text: str | None) -> float:
    """MCRED_EDIT_THRESHOLD: a share of the previous year's figure, above 0 (0.5: 50%)."""
    if text is None or not text.strip():
        return DEFAULT_THRESHOLD
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise SettingsError(
            f"MCRED_EDIT_THRESHOLD={text!r} is not a share above 0: write one like 0.5 (a change of 50%)"
        )
    return value


def default_db_path() -> Path:
    """--db default: $MCRED_DB, else data/microcredentials.duckdb."""
    return Path(os.environ.get("MCRED_DB") or DEFAULT_DB)


def settings(db_path: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None) -> Settings:
    return Settings(
        db_path=Path(db_path) if db_path else default_db_path(),
        data_dir=Path(data_dir or os.environ.get("MCRED_DATA_DIR") or DEFAULT_DATA_DIR),
        load_memory_limit=os.environ.get("MCRED_LOAD_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
        storage_version=os.environ.get("MCRED_STORAGE_VERSION") or DEFAULT_STORAGE_VERSION,
        edit_threshold=edit_threshold(os.environ.get("MCRED_EDIT_THRESHOLD")),
    )
