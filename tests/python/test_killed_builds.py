"""Killed builds: `dbt build` killed with SIGKILL (with every process it started) during
landing, during staging and during a Python model, then run again, ends with the same
marts as a build that was never interrupted, and after every kill the landing manifest
(raw._landed_files) and the raw tables agree: no file landed twice, none half landed,
and at the end none skipped.

One chain, to keep the cost down: the first build is killed while it lands, the second
(which lands the rest) while it stages, the third while a Python model runs; the fourth
runs to the end. Each kill point is found in dbt's own log lines as they come (the
plugin's `landed ... rows` line, a staging model's START, a Python model's START), not
by a sleep. The landing is the generator's at a small scale, and the fits use fewer
folds and resamples (the same for the uninterrupted build), so that the chain costs
about two full builds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR, dbt_command, run_dbt

from uptake.landing import SPECS, landing_files, quote_identifier

FAST_FITS = {
    "ml_cv_folds": 2,
    "ml_auc_bootstrap_samples": 20,
    "aha_bootstrap_samples": 20,
    "recommendation_bootstrap_samples": 50,
}
RAW_TABLES = {"share_view": "activities", "users": "users", "logins": "logins"}
RAW_TABLES["page_events"] = "page_events"
# Columns that hold the clock, not the data: they differ between any two builds.
CLOCK_COLUMNS = {"scored_at"}


@pytest.fixture(scope="module")
def small_landing(tmp_path_factory) -> Path:
    from uptake.generator import generate

    out = tmp_path_factory.mktemp("killed") / "landing"
    generate(out, seed=11, scale=0.05, fmt="csv")
    return out


@pytest.fixture(scope="module")
def uninterrupted(small_landing, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("uninterrupted") / "uninterrupted.duckdb"
    result = run_dbt(["build"], small_landing, db, FAST_FITS)
    assert result.returncode == 0, result.stdout[-5000:]
    return db


class KillPoint:
    """Says, line by line of dbt's log, when the build has reached the point to kill."""

    def __init__(self, name: str, pattern: str, after: int = 1, ready: str | None = None):
        self.name, self.pattern, self.after = name, re.compile(pattern), after
        self.ready = re.compile(ready) if ready else None
        self.seen = 0
        self.is_ready = ready is None

    def reached(self, line: str) -> bool:
        if self.ready is not None and self.ready.search(line):
            self.is_ready = True
        if self.is_ready and self.pattern.search(line):
            self.seen += 1
        return self.seen >= self.after


def build_killed_at(point: KillPoint, raw_dir: Path, db: Path) -> list[str]:
    """Start `dbt build`, SIGKILL its whole process group once ``point`` is reached in
    its log, and return the log lines read until then."""
    command, env = dbt_command(["build"], raw_dir, db, FAST_FITS)
    process = subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the fits' workers die with it
    )
    watchdog = threading.Timer(900, os.killpg, (process.pid, signal.SIGKILL))
    watchdog.start()
    lines: list[str] = []
    try:
        for line in process.stdout:
            lines.append(line)
            if point.reached(line):
                os.killpg(process.pid, signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        process.stdout.close()
        code = process.wait()
    assert code == -signal.SIGKILL, f"the build ended ({code}) before {point.name}:\n" + "".join(
        lines[-30:]
    )
    return lines


def recovered_copy(db: Path, folder: Path) -> Path:
    """A copy of a killed build's database (and its write-ahead log), opened as the
    next build would open it, without touching the original."""
    copy = folder / "check.duckdb"
    for suffix in ("", ".wal"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
        if Path(f"{db}{suffix}").exists():
            shutil.copy(f"{db}{suffix}", f"{copy}{suffix}")
    return copy


def landing_agrees(db: Path, raw_dir: Path, complete: bool) -> set[str]:
    """The manifest and the raw tables tell the same story: each file in the manifest
    at most once, its rows all in its raw table (and none of a file not in it), no line
    twice; with ``complete``, every data file of the landing is in. Returns the landing
    folders with a file in the manifest."""
    with duckdb.connect(str(db)) as conn:
        manifest = conn.execute(
            "select landing_folder, file_path, record_count from raw._landed_files"
        ).fetchall()
        paths = [path for _, path, _ in manifest]
        assert len(paths) == len(set(paths)), "a file landed twice"
        tables = {
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        for folder, table in RAW_TABLES.items():
            rows = {}
            if table in tables:
                rows = dict(
                    conn.execute(
                        f"select _source_file, count(*) from raw.{quote_identifier(table)} "
                        "group by 1"
                    ).fetchall()
                )
                (lines,) = conn.execute(
                    "select count(distinct (_source_file, _source_line)) "
                    f"from raw.{quote_identifier(table)}"
                ).fetchone()
                assert lines == sum(rows.values()), f"raw.{table}: a line landed twice"
            expected = {path: n for f, path, n in manifest if f == folder and n}
            assert rows == expected, f"raw.{table} and the manifest disagree"
        data_files = {
            path.relative_to(raw_dir).as_posix()
            for spec in SPECS.values()
            for path in landing_files(raw_dir, spec)
        }
        assert set(paths) <= data_files
        if complete:
            assert set(paths) == data_files, "a file was skipped"
    return {folder for folder, _, _ in manifest}


def marts_differences(db: Path, reference: Path) -> dict[str, int]:
    """Rows of each marts table (clock columns left out) found in one database and not
    in the other, both ways, counting repeats; empty when the marts are the same."""
    differences = {}
    with duckdb.connect() as conn:
        conn.execute(f"attach '{reference}' as reference (read_only)")
        conn.execute(f"attach '{db}' as rerun (read_only)")
        listed = {
            catalog: {
                name
                for (name,) in conn.execute(
                    "select table_name from information_schema.tables "
                    "where table_catalog = ? and table_schema = 'marts'",
                    [catalog],
                ).fetchall()
            }
            for catalog in ("reference", "rerun")
        }
        assert listed["reference"] == listed["rerun"]
        assert len(listed["reference"]) > 30
        for name in sorted(listed["reference"]):
            columns = [
                quote_identifier(column)
                for (column,) in conn.execute(
                    "select column_name from information_schema.columns where "
                    "table_catalog = 'reference' and table_schema = 'marts' "
                    "and table_name = ? order by ordinal_position",
                    [name],
                ).fetchall()
                if column not in CLOCK_COLUMNS
            ]
            select = f"select {', '.join(columns)} from {{}}.marts.{quote_identifier(name)}"
            (count,) = conn.execute(
                f"select count(*) from ("
                f"({select.format('reference')} except all {select.format('rerun')}) "
                f"union all "
                f"({select.format('rerun')} except all {select.format('reference')}))"
            ).fetchone()
            if count:
                differences[name] = count
    return differences


def test_a_build_killed_while_landing_staging_and_fitting_ends_as_if_never_killed(
    small_landing, uninterrupted, tmp_path
):
    db = tmp_path / "killed.duckdb"
    checks = tmp_path / "checks"
    checks.mkdir()

    # 1. Killed while the on-run-start hook lands (one folder landed, more to come).
    build_killed_at(KillPoint("landing", r"uptake adapter: landed \d+ rows"), small_landing, db)
    landed = landing_agrees(recovered_copy(db, checks), small_landing, complete=False)
    assert 1 <= len(landed) < len(SPECS), f"not killed while landing: {landed} landed"

    # 2. Killed while staging: a staging model starts after another one was built.
    log = build_killed_at(
        KillPoint(
            "staging",
            r"START sql \w+ model staging\.",
            ready=r"OK created sql \w+ model staging\.",
        ),
        small_landing,
        db,
    )
    assert any("OK hook: uptake.on-run-start" in line for line in log)
    assert landing_agrees(recovered_copy(db, checks), small_landing, complete=True)

    # 3. Killed while a Python model runs (the second one to start: one is done or
    #    running beside it).
    build_killed_at(
        KillPoint("a Python model", r"START python \w+ model", after=2), small_landing, db
    )
    landing_agrees(recovered_copy(db, checks), small_landing, complete=True)

    # 4. Run to the end: the marts of a build never killed, and every file landed once.
    result = run_dbt(["build"], small_landing, db, FAST_FITS)
    assert result.returncode == 0, result.stdout[-5000:]
    landing_agrees(db, small_landing, complete=True)
    assert marts_differences(db, uninterrupted) == {}
