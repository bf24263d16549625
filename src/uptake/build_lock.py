"""One build at a time per DuckDB file: an exclusive lock on a file beside it.

The landing plugin (:mod:`uptake.dbt_plugin`) takes the lock when dbt opens the DuckDB
file, before DuckDB opens it, so it holds for `dbt build` run directly as for
scripts/build.sh; `uptake publish` takes it while it copies the build file. A second
build on the same file stops at once with :class:`BuildLocked`, whose message names the
process holding the lock (pid, start, command), instead of DuckDB's lock error. The first
build is not touched: the second never opened the file.

The lock is ``fcntl.flock`` on ``<db file>.build-lock``: the operating system releases
it when its process ends, however it ends (SIGKILL included), so a lock file left behind
never blocks a later build. The file only tells who holds the lock; a process keeps it
until it exits (dbt opens and closes the DuckDB file more than once in one run).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

# Lock files this process holds, by resolved path: their descriptors stay open.
_HELD: dict[str, int] = {}


class BuildLocked(RuntimeError):
    """Another process holds the build lock of this DuckDB file."""


def lock_path(db_path: str | Path) -> Path:
    return Path(f"{db_path}.build-lock")


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it (or why that is not known)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = json.loads(os.read(fd, 65536).decode("utf-8"))
        return f"pid {holder['pid']}, started {holder['started']} UTC: {holder['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "its holder has not written its pid yet"


def acquire(db_path: str | Path, doing: str = "build") -> bool:
    """Takes the build lock of ``db_path`` for this process (until it exits or
    :func:`release`); True when taken now, False when this process held it already.
    Raises :class:`BuildLocked` at once when another process holds it."""
    path = lock_path(db_path)
    key = str(path.resolve())
    if key in _HELD:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise BuildLocked(
            f"another build is running on {db_path} ({holder}), so this {doing} stops "
            f"without opening the file; run it again when that one has ended (the lock, "
            f"{path}, is released when its process ends)"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    holder = {"pid": os.getpid(), "started": started, "command": " ".join(sys.argv)}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, (json.dumps(holder) + "\n").encode("utf-8"))
    _HELD[key] = fd
    return True


def release(db_path: str | Path) -> None:
    fd = _HELD.pop(str(lock_path(db_path).resolve()), None)
    if fd is not None:
        os.close(fd)  # closing the only descriptor releases the flock


@contextlib.contextmanager
def held(db_path: str | Path, doing: str) -> Iterator[None]:
    """The build lock for the duration of a block (kept if this process held it before)."""
    taken = acquire(db_path, doing)
    try:
        yield
    finally:
        if taken:
            release(db_path)
