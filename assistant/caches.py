"""Caches bounded by entries and by bytes, and the sizes of every cache on the answering path (for /metrics)."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class CacheStats:
    """How full one cache is; `bytes`/`max_bytes` are None for a cache that only counts entries."""

    name: str
    entries: int
    max_entries: int | None
    bytes: int | None = None
    max_bytes: int | None = None


def shallow_size(key: Any, value: Any) -> int:
    """Bytes of an entry: the key and the value objects themselves (a numpy array counts its own data)."""
    return sys.getsizeof(key) + sys.getsizeof(value)


def sequence_size(key: Any, value: Any) -> int:
    """Bytes of an entry whose value is a tuple (or list) of small objects such as strings."""
    return sys.getsizeof(key) + sys.getsizeof(value) + sum(sys.getsizeof(item) for item in value)


class LRUCache(Generic[K, V]):
    """A thread-safe least-recently-used cache, bounded by entries (`capacity`) and by bytes (`max_bytes`).

    The size of an entry is `sizeof(key, value)`, taken once when it is stored; the least recently used
    entries go until both bounds hold. A value larger than `max_bytes` on its own is not kept. A bound of 0
    keeps nothing; `max_bytes=None` bounds by entries only.
    """

    def __init__(
        self,
        capacity: int,
        max_bytes: int | None = None,
        *,
        sizeof: Callable[[Any, Any], int] = shallow_size,
        name: str = "cache",
    ) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.name = name
        self._sizeof = sizeof
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            self._data.move_to_end(key)
            return item[0]

    def put(self, key: K, value: V) -> None:
        if self.capacity <= 0 or self.max_bytes == 0:
            return
        size = self._sizeof(key, value)
        if self.max_bytes is not None and size > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, size)
            self._bytes += size
            while len(self._data) > self.capacity or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                _, (_, evicted) = self._data.popitem(last=False)
                self._bytes -= evicted

    def __len__(self) -> int:
        return len(self._data)

    @property
    def nbytes(self) -> int:
        """Bytes of the entries kept now (as `sizeof` counts them)."""
        return self._bytes

    def stats(self) -> CacheStats:
        return CacheStats(self.name, len(self._data), self.capacity, self._bytes, self.max_bytes)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


def lru_cache_stats(name: str, function: Any) -> CacheStats:
    """The size of a `functools.lru_cache` (entries only: it does not expose what it holds)."""
    info = function.cache_info()
    return CacheStats(name, info.currsize, info.maxsize)
