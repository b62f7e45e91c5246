"""Dashboard settings: one typed, frozen object; the only dashboard module that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.access.settings import AccessConfigError, AccessSettings

DEFAULT_DB = Path("data") / "microcredentials.duckdb"


@dataclass(frozen=True)
class DashboardSettings:
    db_path: Path
    debug: bool = False
    title: str = "B.C. Micro-credentials"
    data_source: str = "Institutional micro-credential submissions to the ministry"
    access: AccessSettings = field(default_factory=AccessSettings)
    max_upload_mb: int = 50  # MCRED_MAX_UPLOAD_MB: the largest submission file accepted by upload

    @classmethod
    def from_env(cls) -> DashboardSettings:
        """For WSGI servers: MCRED_DB names the warehouse; MCRED_DEBUG=1 turns on Dash debug mode;
        the MCRED_AUTH... settings of dashboard.access.settings say who may look."""
        return cls(
            db_path=Path(os.environ.get("MCRED_DB") or DEFAULT_DB).resolve(),
            debug=os.environ.get("MCRED_DEBUG") == "1",
            access=AccessSettings.from_env(),
            max_upload_mb=_whole("MCRED_MAX_UPLOAD_MB", 50),
        )


def _whole(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise AccessConfigError(f"{name}={text!r}: use a whole number of at least 1")
    return int(text)
