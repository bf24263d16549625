"""Wall time and peak memory of one command run as a child process.

``measure(cmd)`` starts ``cmd``, waits for it with ``os.wait4`` and returns its wall time and
peak resident set size. On Linux the rusage that ``wait4`` returns for a child covers the
child and the descendants it waited for, so that peak is the largest of them (not a sum);
processes that run side by side (the worker processes of the fits) add up, so a sampler
also sums the resident memory of the whole process tree every ``SAMPLE_S`` seconds (from
/proc). The peak reported is the larger of the two. Asked to (``timeline=True``), the
sampler also keeps every sample, ``(seconds since the start, tree RSS bytes)``, and the
measurement the wall clock (``time.time()``) of the start, so that the samples can be set
against the times another program logged (dbt's run_results.json: see
:func:`benchmarks.run.memory_by_node`).

As a command: ``python -m benchmarks.measure [--json FILE] -- cmd ...`` runs ``cmd``
and prints (or writes) ``{"returncode", "wall_s", "peak_rss_gb", "peak_tree_gb"}``; its exit
code is the command's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

SAMPLE_S = 0.25


@dataclass(frozen=True)
class Measurement:
    returncode: int
    wall_s: float
    peak_rss_gb: float  # the larger of wait4's peak and the process tree's sampled sum
    peak_tree_gb: float | None = None  # the sampled sum alone (None: /proc unreadable)
    started_at: float | None = None  # time.time() just before the command started
    # (seconds since the start, tree RSS bytes) of every sample, when asked for; else ()
    timeline: tuple[tuple[float, int], ...] = ()


def _tree_rss_bytes(root: int) -> int | None:
    """Resident bytes of ``root`` and all its descendants, now (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    try:
        pids = [int(d) for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{pid}/statm", "rb") as f:
                resident = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
        # the command name is in parentheses and may hold spaces: the ppid follows it
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = resident * page
    if root not in rss:
        return None
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


class _TreeSampler(threading.Thread):
    """Samples :func:`_tree_rss_bytes` of a process until stopped; keeps the largest and,
    with ``started`` (a ``time.perf_counter()`` value), every sample as ``(seconds since
    started, bytes)`` in ``timeline``."""

    def __init__(self, root: int, started: float | None = None) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.seen = root, 0, False
        self.started, self.timeline = started, []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_S):
            now = time.perf_counter()  # before the walk over /proc, which takes a while
            value = _tree_rss_bytes(self.root)
            if value is not None:
                self.peak, self.seen = max(self.peak, value), True
                if self.started is not None:
                    self.timeline.append((round(now - self.started, 3), value))


def measure(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    timeline: bool = False,
) -> Measurement:
    """Run ``cmd`` to the end; its stdout and stderr go to ``log`` (or are inherited). With
    ``timeline``, the measurement keeps every sample of the process tree's memory."""
    out = open(log, "wb") if log else None  # noqa: SIM115 (closed below)
    try:
        started_at, started = time.time(), time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
        )
        sampler = _TreeSampler(proc.pid, started if timeline else None)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    finally:
        if out:
            out.close()
    # ru_maxrss is in kilobytes on Linux.
    largest = usage.ru_maxrss / 1024**2
    tree = sampler.peak / 1024**3 if sampler.seen else None
    return Measurement(
        proc.returncode,
        round(wall, 3),
        round(max(largest, tree or 0.0), 3),
        None if tree is None else round(tree, 3),
        started_at,
        tuple(sampler.timeline),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.measure", description=__doc__)
    parser.add_argument("--json", type=Path, help="write the measurement here (default: stdout)")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- command and its arguments")
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command given")
    m = measure(cmd)
    text = json.dumps({k: v for k, v in asdict(m).items() if k not in ("started_at", "timeline")})
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return m.returncode


if __name__ == "__main__":
    sys.exit(main())
