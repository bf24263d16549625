"""Wall time and peak memory of one command run as a child process.

``measure(cmd)`` starts ``cmd``, waits for it with ``os.wait4`` and returns its wall time and
peak resident set size. On Linux the rusage that ``wait4`` returns for a child covers the
child and the descendants it waited for, so the peak is the largest of them (not a sum).

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
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    returncode: int
    wall_s: float
    peak_rss_gb: float


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
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    finally:
        if out:
            out.close()
    # ru_maxrss is in kilobytes on Linux.
    return Measurement(proc.returncode, round(wall, 3), round(usage.ru_maxrss / 1024**2, 3))


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
