"""Readers beside the daily build, and builds that fail: a reader holding the published
file open (read-only, querying) never blocks `dbt build` or `uptake publish`; it sees the
build it opened, whole, until it reconnects, and then the new one. A build that fails
midway (here: out of memory) publishes nothing, so readers keep the last published build,
and it ends saying which setting to raise."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, PROJECT_DIR, dbt_command, run_dbt

# The landing audit mart and what it reads (the customers seed: a staging test reads it).
SELECTED = ["build", "--select", "+rpt_landing_files", "+rpt_landing_rejections", "customers"]
LANDING_FILES = (
    "select source_name, source_file, raw_rows from marts.rpt_landing_files order by 1, 2"
)


def publish(db: Path, out: Path) -> subprocess.CompletedProcess:
    uptake = Path(sys.executable).with_name("uptake")
    return subprocess.run(
        [str(uptake), "publish", "--db", str(db), "--out", str(out)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )


def read(conn) -> tuple[list, list]:
    """The landing files mart and the publish log, as a reader sees them."""
    return conn.execute(LANDING_FILES).fetchall(), conn.execute(
        "select build_file, relations, total_rows from _published"
    ).fetchall()


def test_a_reader_holding_the_published_file_never_blocks_the_build(tmp_path):
    landing, db, published = (
        tmp_path / "landing",
        tmp_path / "build.duckdb",
        tmp_path / "pub.duckdb",
    )
    shutil.copytree(FIXTURES, landing)
    first = run_dbt(SELECTED, landing, db)
    assert first.returncode == 0, first.stdout[-3000:]
    assert publish(db, published).returncode == 0

    reader = duckdb.connect(str(published), read_only=True)
    before = read(reader)
    assert len(before[0]) >= 8
    # A new export lands: 25 logins, counted here, not by the build.
    new_rows = [f"2014-05-{1 + i % 28:02d} 10:00:00,{1 + i % 5},1" for i in range(25)]
    (landing / "logins" / "logins_2014_05.csv").write_text(
        "time_stamp,user_id,visited\n" + "\n".join(new_rows) + "\n", encoding="utf-8"
    )
    command, env = dbt_command(SELECTED, landing, db)
    build = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        reads = 0
        while build.poll() is None:  # the reader queries all along the build
            assert read(reader) == before
            reads += 1
        output = build.communicate()[0].decode()
    finally:
        build.kill()
    assert build.returncode == 0, output[-3000:]
    assert reads > 0
    published_now = publish(db, published)
    assert published_now.returncode == 0, published_now.stderr
    # Still the build it opened, whole, though the file was replaced under it.
    assert read(reader) == before
    reader.close()

    with duckdb.connect(str(published), read_only=True) as fresh:
        after = read(fresh)
    assert ("product.logins", "logins/logins_2014_05.csv", 25) in after[0]
    assert sorted(set(after[0]) - set(before[0])) == [
        ("product.logins", "logins/logins_2014_05.csv", 25)
    ]
    assert after[1][0][2] == before[1][0][2] + 1  # one more row in the mart
    assert not list(tmp_path.glob(".*publishing*"))


@pytest.fixture(scope="module")
def small_landing(tmp_path_factory) -> Path:
    """A generated landing of 38,263 records."""
    from uptake.generator import generate

    out = tmp_path_factory.mktemp("small") / "landing"
    generate(out, seed=3, scale=0.1, fmt="csv")
    return out


def test_a_build_out_of_temp_space_says_what_to_raise(small_landing, tmp_path):
    """A plain `dbt build` whose DuckDB may use 128 MB and spill 1 KiB: the retention
    counts spill (what it has to sort does not fit), and the run ends naming the
    variable to raise."""
    db = tmp_path / "build.duckdb"
    command, env = dbt_command(
        ["build", "--select", "+int_retention_cohorts_counted", "customers"], small_landing, db
    )
    env |= {"UPTAKE_DUCKDB_MEMORY_LIMIT": "128MB", "UPTAKE_DUCKDB_MAX_TEMP_SIZE": "1KiB"}
    result = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode != 0
    assert "failed to offload data block" in result.stdout, result.stdout[-3000:]
    last = result.stdout[result.stdout.rindex("Encountered an error") :]
    assert "DuckDB ran out of temp space in " in last
    assert f"raise UPTAKE_DUCKDB_MAX_TEMP_SIZE (now 1.0 KiB, in {db}.tmp)" in last
    assert "Traceback" not in result.stdout + result.stderr


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bootstrap_would_reinstall() -> bool:
    """scripts/build.sh sources scripts/bootstrap.sh, which reinstalls .venv when
    requirements.lock or pyproject.toml changed since: not from a test."""
    stamp = PROJECT_DIR / ".venv" / ".uptake-installed"
    wanted = hashlib.sha256(
        (PROJECT_DIR / "requirements.lock").read_bytes()
        + (PROJECT_DIR / "pyproject.toml").read_bytes()
    ).hexdigest()
    return not stamp.is_file() or stamp.read_text().strip() != wanted


@pytest.mark.skipif(
    bootstrap_would_reinstall(), reason=".venv is not installed from this checkout's pins"
)
def test_a_build_out_of_memory_says_what_to_raise_and_publishes_nothing(tmp_path):
    from uptake.generator import generate

    landing, db, published = (
        tmp_path / "landing",
        tmp_path / "build.duckdb",
        tmp_path / "pub.duckdb",
    )
    generate(landing, seed=3, scale=0.1, fmt="csv")
    # The last published build: an earlier one's marts.
    with duckdb.connect(str(tmp_path / "earlier.duckdb")) as earlier:
        earlier.execute("create schema marts")
        earlier.execute("create table marts.rpt_landing_files as select 'users.csv' as f")
    assert publish(tmp_path / "earlier.duckdb", published).returncode == 0
    before = digest(published)
    env = {
        **os.environ,
        "UPTAKE_RAW_DIR": str(landing),
        "UPTAKE_DB_PATH": str(db),
        "UPTAKE_PUBLISHED_PATH": str(published),
        "UPTAKE_DUCKDB_MEMORY_LIMIT": "20MB",
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
    }
    result = subprocess.run(
        ["bash", "scripts/build.sh", *SELECTED[1:], "--target-path", str(tmp_path / "t")],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode != 0
    # Landed, then failed in the models: midway.
    assert "landed 19671 rows from 1 new file(s) of logins" in result.stdout, result.stdout[-3000:]
    last = result.stdout[result.stdout.rindex("Encountered an error") :]
    assert "DuckDB ran out of memory in " in last
    assert "raise UPTAKE_DUCKDB_MEMORY_LIMIT (now 19.0 MiB)" in last
    assert "Traceback" not in result.stdout + result.stderr
    assert "==> uptake publish" not in result.stdout
    assert digest(published) == before
