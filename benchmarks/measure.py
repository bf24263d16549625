"""Wall time and peak memory of one command run as a child process.

``measure(cmd)`` starts ``cmd``, waits for it with ``os.wait4`` and returns its wall time and
peak resident set size. On Linux the rusage that ``wait4`` returns for a child covers the
child and the descendants it waited for, so that peak is the largest of them (not a sum);
processes that run side by side (the worker processes of the fits) add up, so a sampler
also sums the resident memory of the whole process tree every ``SAMPLE_S`` seconds (from
/proc). The peak reported is the larger of the two.

As a command: ``python -m benchmarks.measure [--json FILE] -- cmd ...`` runs ``cmd``
and prints (or writes) ``{"returncode", "wall_s", "peak_rss_gb"}``; its exit code is the
command's.
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
    """Samples :func:`_tree_rss_bytes` of a process until stopped; keeps the largest."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.seen = root, 0, False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_S):
            value = _tree_rss_bytes(self.root)
            if value is not None:
                self.peak, self.seen = max(self.peak, value), True


def measure(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
) -> Measurement:
    """Run ``cmd`` to the end; its stdout and stderr go to ``log`` (or are inherited)."""
    out = open(log, "wb") if log else None  # noqa: SIM115 (closed below)
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
        )
        sampler = _TreeSampler(proc.pid)
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
    text = json.dumps(asdict(m))
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return m.returncode


if __name__ == "__main__":
    sys.exit(main())
