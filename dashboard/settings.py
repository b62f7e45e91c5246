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
    edit_threshold: float = 0.5  # MCRED_EDIT_THRESHOLD: the change across years that needs an explanation

    @classmethod
    def from_env(cls) -> DashboardSettings:
        """For WSGI servers: MCRED_DB names the warehouse; MCRED_DEBUG=1 turns on Dash debug mode;
        the MCRED_AUTH... settings of dashboard.access.settings say who may look."""
        return cls(
            db_path=Path(os.environ.get("MCRED_DB") or DEFAULT_DB).resolve(),
            debug=os.environ.get("MCRED_DEBUG") == "1",
            access=AccessSettings.from_env(),
            max_upload_mb=_whole("MCRED_MAX_UPLOAD_MB", 50),
            edit_threshold=_share("MCRED_EDIT_THRESHOLD", 0.5),
        )


def _whole(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise AccessConfigError(f"{name}={text!r}: use a whole number of at least 1")
    return int(text)


def _share(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise AccessConfigError(f"{name}={text!r}: use a share above 0, such as 0.5 for 50%")
    return value
