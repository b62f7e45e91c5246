"""Access settings: one typed, frozen object read from the environment (see README, "Deploying").

| variable | meaning |
|---|---|
| MCRED_AUTH | none (default: one local ministry user, loopback only), local, oidc |
| MCRED_SECRET_KEY | signs session cookies; required unless MCRED_AUTH=none (32+ characters) |
| MCRED_PUBLIC | 1: anonymous visitors get the public view |
| MCRED_MIN_CELL | smallest count of people shown to the public and to other institutions (default 10) |
| MCRED_HTTPS | 1: the site is served over HTTPS: Secure cookies and Strict-Transport-Security |
| MCRED_PROXY_HOPS | reverse proxies in front whose X-Forwarded-For/-Proto/-Host to trust (default 0) |
| MCRED_OIDC_ISSUER, MCRED_OIDC_CLIENT_ID, MCRED_OIDC_CLIENT_SECRET | single sign-on (MCRED_AUTH=oidc) |
| MCRED_OIDC_MAPPING | TOML file: which signed-in people get which role and institution |
| MCRED_RATELIMIT_STORAGE | where sign-in attempts are counted (default memory://, per worker; redis://... shared) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

AUTH_MODES = ("none", "local", "oidc")
MIN_SECRET_LENGTH = 32


class AccessConfigError(ValueError):
    """A setting that cannot work; the message names the variable and what to do."""


@dataclass(frozen=True)
class AccessSettings:
    auth: str = "none"
    secret_key: str | None = None
    public: bool = False
    min_cell: int = 10
    https: bool = False
    proxy_hops: int = 0
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_mapping: Path | None = None
    ratelimit_storage: str = "memory://"
    session_hours: int = 8

    def __post_init__(self) -> None:
        if self.auth not in AUTH_MODES:
            raise AccessConfigError(f"MCRED_AUTH={self.auth!r}: use one of {', '.join(AUTH_MODES)}")
        if self.auth != "none":
            if not self.secret_key:
                raise AccessConfigError(
                    f"MCRED_SECRET_KEY is required with MCRED_AUTH={self.auth}: set it to a "
                    f'random string of {MIN_SECRET_LENGTH}+ characters (python -c "import '
                    'secrets; print(secrets.token_urlsafe(48))")'
                )
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise AccessConfigError(f"MCRED_SECRET_KEY is too short: use {MIN_SECRET_LENGTH}+ random characters")
        if self.auth == "oidc":
            missing = [
                name
                for name, value in (
                    ("MCRED_OIDC_ISSUER", self.oidc_issuer),
                    ("MCRED_OIDC_CLIENT_ID", self.oidc_client_id),
                    ("MCRED_OIDC_CLIENT_SECRET", self.oidc_client_secret),
                    ("MCRED_OIDC_MAPPING", self.oidc_mapping),
                )
                if not value
            ]
            if missing:
                raise AccessConfigError(f"MCRED_AUTH=oidc needs {', '.join(missing)}")
        if self.min_cell < 1:
            raise AccessConfigError(f"MCRED_MIN_CELL must be a whole number of at least 1 (got {self.min_cell})")

    @property
    def sign_in(self) -> bool:
        return self.auth != "none"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AccessSettings:
        env = os.environ if env is None else env

        def flag(name: str) -> bool:
            value = env.get(name, "").strip().lower()
            if value in ("", "0", "no", "false"):
                return False
            if value in ("1", "yes", "true"):
                return True
            raise AccessConfigError(f"{name}={env[name]!r}: use 1 or 0")

        def whole(name: str, default: int) -> int:
            text = env.get(name, "").strip()
            if not text:
                return default
            try:
                return int(text)
            except ValueError:
                raise AccessConfigError(f"{name}={text!r}: use a whole number") from None

        mapping = env.get("MCRED_OIDC_MAPPING", "").strip()
        return cls(
            auth=env.get("MCRED_AUTH", "").strip().lower() or "none",
            secret_key=env.get("MCRED_SECRET_KEY") or None,
            public=flag("MCRED_PUBLIC"),
            min_cell=whole("MCRED_MIN_CELL", 10),
            https=flag("MCRED_HTTPS"),
            proxy_hops=whole("MCRED_PROXY_HOPS", 0),
            oidc_issuer=(env.get("MCRED_OIDC_ISSUER") or "").strip().rstrip("/") or None,
            oidc_client_id=env.get("MCRED_OIDC_CLIENT_ID") or None,
            oidc_client_secret=env.get("MCRED_OIDC_CLIENT_SECRET") or None,
            oidc_mapping=Path(mapping) if mapping else None,
            ratelimit_storage=env.get("MCRED_RATELIMIT_STORAGE", "").strip() or "memory://",
        )


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: MCRED_AUTH=none serves only this machine."""
    import ipaddress

    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
