"""Single sign-on: which signed-in people get which role, from a TOML file (MCRED_OIDC_MAPPING).

    # Rules are tried in order; the first that matches gives the role.
    [[rule]]
    email = "ana.lee@gov.bc.ca"          # one person
    role = "ministry"

    [[rule]]
    claim = "groups"                     # any claim of the ID token or userinfo
    value = "mcred-bcit"                 # equal to it, or one of its values when it is a list
    role = "institution"
    institution = "BCIT"

    [[rule]]
    email_domain = "gov.bc.ca"           # everyone whose (verified) email ends @gov.bc.ca
    role = "ministry"

Nobody needs an account made by hand; a person no rule matches is told they have no access.
An email rule ignores an email the provider marks ``email_verified = false``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard.access.actor import Actor

_KEYS = {"email", "email_domain", "claim", "value", "role", "institution"}


class MappingError(ValueError):
    """The mapping file cannot be used; the message names the file and the rule."""


@dataclass(frozen=True)
class Rule:
    role: str
    institution: str | None
    email: str | None = None
    email_domain: str | None = None
    claim: str | None = None
    value: str | None = None

    def matches(self, claims: Mapping[str, Any]) -> bool:
        email = claims.get("email")
        verified = claims.get("email_verified", True) not in (False, "false")
        if self.email is not None:
            return verified and isinstance(email, str) and email.strip().lower() == self.email
        if self.email_domain is not None:
            return verified and isinstance(email, str) and email.strip().lower().endswith("@" + self.email_domain)
        found = claims.get(self.claim or "")
        if isinstance(found, list | tuple):
            return self.value in [str(v) for v in found]
        return found is not None and str(found) == self.value


@dataclass(frozen=True)
class RoleMapping:
    rules: tuple[Rule, ...]

    @classmethod
    def read(cls, path: Path) -> RoleMapping:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise MappingError(f"MCRED_OIDC_MAPPING {path}: cannot be read ({exc.strerror or exc})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(f"MCRED_OIDC_MAPPING {path}: not valid TOML ({exc})") from exc
        unknown_top = set(data) - {"rule"}
        if unknown_top:
            raise MappingError(f"{path}: unknown key {sorted(unknown_top)[0]!r}: the file holds [[rule]] entries")
        rules = []
        for n, entry in enumerate(data.get("rule", []), start=1):
            rules.append(cls._rule(path, n, entry))
        if not rules:
            raise MappingError(f"{path}: no [[rule]] entries: nobody could sign in")
        return cls(tuple(rules))

    @staticmethod
    def _rule(path: Path, n: int, entry: Any) -> Rule:
        where = f"{path}: rule {n}"
        if not isinstance(entry, dict):
            raise MappingError(f"{where}: must be a table")
        unknown = set(entry) - _KEYS
        if unknown:
            raise MappingError(f"{where}: unknown key {sorted(unknown)[0]!r} (keys are {', '.join(sorted(_KEYS))})")
        if any(not isinstance(v, str) or not v.strip() for v in entry.values()):
            raise MappingError(f"{where}: every value must be a non-empty string")
        selectors = [k for k in ("email", "email_domain", "claim") if k in entry]
        if len(selectors) != 1:
            raise MappingError(f"{where}: give exactly one of email, email_domain or claim (with value)")
        if ("claim" in entry) != ("value" in entry):
            raise MappingError(f"{where}: claim and value go together")
        role = entry.get("role")
        if role not in ("ministry", "institution"):
            raise MappingError(f"{where}: role must be ministry or institution (got {role!r})")
        institution = entry.get("institution")
        if (role == "institution") != (institution is not None):
            raise MappingError(f"{where}: an institution rule names its institution; a ministry rule names none")
        return Rule(
            role=role,
            institution=institution.strip().upper() if institution else None,
            email=entry["email"].strip().lower() if "email" in entry else None,
            email_domain=entry["email_domain"].strip().lower().lstrip("@") if "email_domain" in entry else None,
            claim=entry.get("claim"),
            value=entry.get("value"),
        )

    def actor_for(self, claims: Mapping[str, Any]) -> Actor | None:
        """The actor the first matching rule gives, or None (no access)."""
        email = claims.get("email")
        name = email.strip().lower() if isinstance(email, str) and email.strip() else str(claims.get("sub", ""))
        for rule in self.rules:
            if rule.matches(claims):
                return Actor(role=rule.role, email=name, institution=rule.institution, via="oidc")
        return None
