"""Dashboard settings: one typed, frozen object; the only dashboard module that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.access.settings import AccessSettings

DEFAULT_DB = Path("data") / "microcredentials.duckdb"


@dataclass(frozen=True)
class DashboardSettings:
    db_path: Path
    debug: bool = False
    title: str = "B.C. Micro-credentials"
    data_source: str = "Institutional micro-credential submissions to the ministry"
    access: AccessSettings = field(default_factory=AccessSettings)

    @classmethod
    def from_env(cls) -> DashboardSettings:
        """For WSGI servers: MCRED_DB names the warehouse; MCRED_DEBUG=1 turns on Dash debug mode;
        the MCRED_AUTH... settings of dashboard.access.settings say who may look."""
        return cls(db_path=Path(os.environ.get("MCRED_DB") or DEFAULT_DB).resolve(),
                   debug=os.environ.get("MCRED_DEBUG") == "1", access=AccessSettings.from_env())
