"""Dashboard settings: one typed, frozen object; the only dashboard module that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = Path("data") / "microcredentials.duckdb"


@dataclass(frozen=True)
class DashboardSettings:
    db_path: Path
    debug: bool = False
    title: str = "B.C. Micro-credentials"
    data_source: str = "Institutional micro-credential submissions to the ministry"

    @classmethod
    def from_env(cls) -> DashboardSettings:
        """For WSGI servers: MCRED_DB names the warehouse; MCRED_DEBUG=1 turns on Dash debug mode."""
        return cls(
            db_path=Path(os.environ.get("MCRED_DB") or DEFAULT_DB).resolve(), debug=os.environ.get("MCRED_DEBUG") == "1"
        )
