"""SQL text built in Python: the one quoting of a string literal and of an identifier.

Values travel as parameters wherever DuckDB takes them; these are for the places it does
not (ATTACH paths, literals inside generated views and checks).
"""

from __future__ import annotations

import os
import re

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def literal(text: str | os.PathLike[str]) -> str:
    """A SQL string literal: ``it's`` -> ``'it''s'``."""
    return "'" + str(text).replace("'", "''") + "'"


def identifier(name: str) -> str:
    """A quoted identifier, for the lower-case names mcred generates; anything else is refused."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not an allowed identifier: {name!r}")
    return '"' + name + '"'
