"""Dashboard settings: one typed, frozen object; the only dashboard module that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.access.settings import AccessConfigError, AccessSettings

DEFAULT_DB = Path("data") / "microcredentials.duckdb"


@dataclass(frozen=True)
class NoticeSettings:
    """Email notices (dashboard.notices): off unless MCRED_SMTP_HOST is set."""

    host: str | None = None  # MCRED_SMTP_HOST
    port: int = 25  # MCRED_SMTP_PORT (465: TLS from the start; else plain, or STARTTLS below)
    sender: str | None = None  # MCRED_SMTP_FROM, required with a host
    user: str | None = None  # MCRED_SMTP_USER and MCRED_SMTP_PASSWORD: log in when both are set
    password: str | None = field(default=None, repr=False)
    starttls: bool = False  # MCRED_SMTP_STARTTLS=1: upgrade the connection before logging in
    base_url: str | None = None  # MCRED_BASE_URL: the dashboard's address, for links in notices
    timeout: float = 10.0  # seconds for the connection and each SMTP reply

    @classmethod
    def from_env(cls) -> NoticeSettings:
        env = {k: os.environ.get(k, "").strip() for k in _SMTP_NAMES}
        host, sender = env["MCRED_SMTP_HOST"] or None, env["MCRED_SMTP_FROM"] or None
        if host and not sender:
            raise AccessConfigError("MCRED_SMTP_HOST is set but MCRED_SMTP_FROM is not: name the sender address")
        if bool(env["MCRED_SMTP_USER"]) != bool(os.environ.get("MCRED_SMTP_PASSWORD")):
            raise AccessConfigError("MCRED_SMTP_USER and MCRED_SMTP_PASSWORD go together: set both or neither")
        port = _whole("MCRED_SMTP_PORT", 25)
        if port > 65535:
            raise AccessConfigError(f"MCRED_SMTP_PORT={port}: use a port number from 1 to 65535")
        starttls = env["MCRED_SMTP_STARTTLS"].lower()
        if starttls not in ("", "0", "1", "yes", "no", "true", "false"):
            raise AccessConfigError(f"MCRED_SMTP_STARTTLS={starttls!r}: use 1 or 0")
        base_url = env["MCRED_BASE_URL"].rstrip("/") or None
        if base_url and not base_url.startswith(("https://", "http://")):
            raise AccessConfigError(f"MCRED_BASE_URL={base_url!r}: use the dashboard's address, https://...")
        return cls(
            host=host,
            port=port,
            sender=sender,
            user=env["MCRED_SMTP_USER"] or None,
            password=os.environ.get("MCRED_SMTP_PASSWORD") or None,
            starttls=starttls in ("1", "yes", "true"),
            base_url=base_url,
        )


_SMTP_NAMES = (
    "MCRED_SMTP_HOST",
    "MCRED_SMTP_FROM",
    "MCRED_SMTP_USER",
    "MCRED_SMTP_STARTTLS",
    "MCRED_BASE_URL",
)


@dataclass(frozen=True)
class DashboardSettings:
    db_path: Path
    debug: bool = False
    title: str = "B.C. Micro-credentials"
    data_source: str = "Institutional micro-credential submissions to the ministry"
    access: AccessSettings = field(default_factory=AccessSettings)
    max_upload_mb: int = 50  # MCRED_MAX_UPLOAD_MB: the largest submission file accepted by upload
    edit_threshold: float = 0.5  # MCRED_EDIT_THRESHOLD: the change across years that needs an explanation
    notices: NoticeSettings = field(default_factory=NoticeSettings)  # MCRED_SMTP_...: e-mail on send and return

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
            notices=NoticeSettings.from_env(),
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
