"""Two builds of one DuckDB file at once: the second stops at once, before it opens the
file, with a message naming the build that runs (uptake.build_lock), and the first ends
as if it had run alone. The lock dies with its process, so a killed build never blocks
the next one."""

from __future__ import annotations

import collections
import json
import shutil
import signal
import subprocess
import sys

import duckdb
import pytest
from conftest import FIXTURES, PROJECT_DIR, dbt_command

from uptake import build_lock

HOLD = """
import sys
from uptake import build_lock
build_lock.acquire(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
"""


def test_a_held_lock_stops_a_second_taker_and_dies_with_its_process(tmp_path):
    db = tmp_path / "it.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(build_lock.BuildLocked) as caught:
            build_lock.acquire(db)
        assert f"another build is running on {db} (pid {holder.pid}, started " in str(caught.value)
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    finally:
        holder.kill()
    # The lock file is still there; the lock is not.
    assert build_lock.lock_path(db).exists()
    assert build_lock.acquire(db) is True
    assert build_lock.acquire(db) is False  # held by this process already
    assert json.loads(build_lock.lock_path(db).read_text())["pid"] != holder.pid
    build_lock.release(db)


def table_rows(db, schema: str) -> dict[str, collections.Counter]:
    with duckdb.connect(str(db), read_only=True) as conn:
        names = conn.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_type = 'BASE TABLE'",
            [schema],
        ).fetchall()
        return {
            name: collections.Counter(conn.execute(f'select * from {schema}."{name}"').fetchall())
            for (name,) in names
        }


def run_second(args: list[str], db, target) -> subprocess.CompletedProcess:
    """dbt on ``db`` with its own target folder, a copy of the first build's (whose
    parse it reuses)."""
    command, env = dbt_command(args, FIXTURES, db)
    shutil.copytree(db.parent / "dbt_target", target)
    command[-1] = str(target)
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
    )


def test_a_second_build_stops_at_once_and_the_first_is_unharmed(fixtures_db, tmp_path):
    db = tmp_path / "first" / "both.duckdb"
    db.parent.mkdir()
    selected = ["build", "--select", "+path:models/staging"]
    command, env = dbt_command(selected, FIXTURES, db)
    first = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    lock = build_lock.lock_path(db)
    try:
        # Until the first build holds the lock (it takes it when it opens the file).
        while first.poll() is None:
            try:
                if json.loads(lock.read_text())["pid"] == first.pid:
                    break
            except (OSError, ValueError):
                pass
        assert first.poll() is None, "the first build ended before it held the lock"
        # Frozen while it holds the lock and the open file: the second runs meanwhile.
        first.send_signal(signal.SIGSTOP)
        second = run_second(selected, db, tmp_path / "second_target")
        first.send_signal(signal.SIGCONT)
        output = first.communicate(timeout=900)[0].decode()
    finally:
        first.kill()
    assert second.returncode != 0
    assert f"another build is running on {db} (pid {first.pid}, started " in second.stdout
    assert "so this build stops without opening the file" in second.stdout
    assert "Traceback" not in second.stdout + second.stderr
    # The first ran on as if alone: what a build of everything made of the same files.
    assert first.returncode == 0, output[-3000:]
    ours, alone = table_rows(db, "staging"), table_rows(fixtures_db, "staging")
    assert len(ours) >= 6 and sum(map(len, ours.values())) > 0
    assert ours == {name: alone[name] for name in ours}
