"""The one cache of the data layer: results of named queries, per warehouse version.

A key is (query name, its arguments); an entry belongs to the warehouse version it was
computed on, and a new version empties the cache, so a load is visible at once and
nothing is evicted by hand. Within a version the least recently used entries go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

MAX_ENTRIES = 256  # a profile or a trend is a few hundred small rows: this is a few MB at most


class VersionedCache:
    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._version: Hashable = None
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: Hashable, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of ``key`` on ``version``, computed (outside the lock) when missing."""
        with self._lock:
            if version == self._version and key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if version != self._version:
                self._version = version
                self._entries.clear()
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self, names: Iterable[str] | None = None) -> None:
        """Forget every entry, or those of the named queries only (keys are (name, arguments))."""
        with self._lock:
            if names is None:
                self._entries.clear()
                return
            wanted = set(names)
            for key in [k for k in self._entries if isinstance(k, tuple) and k and k[0] in wanted]:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
