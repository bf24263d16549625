"""Read-only access to the published file for the API, following each new publish.

`uptake publish` renames a new file over the published one (a new inode). A DuckDB
connection keeps reading the file it opened, and ``duckdb.connect`` hands out the database
instance already open for a path, so a reopen by path would keep serving the old build.
Each generation here is therefore its own in-memory database with the published file
ATTACHed read-only as catalog ``published``: the attach opens the file that the path names
now. A request stats the path; when the file is another one (inode, size or mtime), a new
generation is opened and later requests use it; the old one is closed once its last
request is done. Each request reads through its own cursor (DuckDB connections are not
shared between threads).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

CATALOG = "published"
CACHE_ENTRIES = 512


class PublishedUnavailable(Exception):
    """The published file is missing or cannot be read (the API answers 503)."""


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass
class _Generation:
    identity: tuple[int, int, int, int]
    connection: duckdb.DuckDBPyConnection
    in_use: int = 0
    retired: bool = False
    cache: OrderedDict = field(default_factory=OrderedDict)
    cache_lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Reading:
    """One request's view of the published file: its cursor and its generation's cache."""

    cursor: duckdb.DuckDBPyConnection
    _generation: _Generation

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per generation and key (least recently used dropped first)."""
        generation = self._generation
        with generation.cache_lock:
            if key in generation.cache:
                generation.cache.move_to_end(key)
                return generation.cache[key]
        value = compute()
        with generation.cache_lock:
            generation.cache[key] = value
            while len(generation.cache) > CACHE_ENTRIES:
                generation.cache.popitem(last=False)
        return value


@dataclass
class PublishedDatabase:
    """The published file at ``path``, opened read-only, reopened when it is replaced."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _current: _Generation | None = field(default=None, repr=False)
    opened: int = 0  # generations opened so far (the tests read it)

    def _stat(self) -> os.stat_result:
        try:
            return self.path.stat()
        except FileNotFoundError:
            raise PublishedUnavailable(
                f"no published file at {self.path}: run scripts/build.sh (it publishes the "
                "marts of a successful build with `uptake publish`)"
            ) from None

    def _open(self, identity: tuple[int, int, int, int]) -> _Generation:
        connection = duckdb.connect(":memory:")
        # ATTACH takes no parameter: the path goes in as a quoted SQL string literal.
        literal = "'" + str(self.path).replace("'", "''") + "'"
        try:
            connection.execute(f"attach {literal} as {CATALOG} (read_only)")
        except duckdb.Error as error:
            connection.close()
            raise PublishedUnavailable(
                f"the published file {self.path} cannot be read: {error}"
            ) from None
        self.opened += 1
        return _Generation(identity, connection)

    def _acquire(self) -> _Generation:
        identity = _identity(self._stat())
        with self._lock:
            current = self._current
            if current is None or current.identity != identity:
                fresh = self._open(identity)
                if current is not None:
                    current.retired = True
                    self._close_if_idle(current)
                self._current = current = fresh
            current.in_use += 1
            return current

    def _release(self, generation: _Generation) -> None:
        with self._lock:
            generation.in_use -= 1
            self._close_if_idle(generation)

    @staticmethod
    def _close_if_idle(generation: _Generation) -> None:
        if generation.retired and generation.in_use == 0:
            generation.connection.close()

    @contextmanager
    def read(self) -> Iterator[Reading]:
        """The published file as it is now, for one request: a cursor (the marts are
        ``marts.<name>``) and the cache of its generation."""
        generation = self._acquire()
        try:
            with self._lock:
                cursor = generation.connection.cursor()
            try:
                cursor.execute(f"use {CATALOG}")
                yield Reading(cursor, generation)
            finally:
                cursor.close()
        finally:
            self._release(generation)

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.retired = True
                self._close_if_idle(self._current)
                self._current = None
