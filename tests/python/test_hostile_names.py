"""Hostile names: a landing folder, data files and a DuckDB file named with spaces,
quotes, semicolons, brackets, hyphens and non-ASCII letters land safely (the file's stem
is a customer code, so it reaches the models as data, never as SQL); a database name
dbt-duckdb cannot handle stops with a message, not a stack trace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, PROJECT_DIR, query

HOSTILE_CUSTOMER = 'O\'Br; ien "ü" [1] --x'


def _dbt(args: list[str], raw_dir, db_path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "UPTAKE_RAW_DIR": str(raw_dir),  # through the environment: no YAML quoting
        "UPTAKE_DB_PATH": str(db_path),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    command = [dbt, *args, "--target-path", str(db_path.parent / "dbt_target")]
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600
    )


def test_hostile_folder_file_and_database_names_land_safely(tmp_path):
    home = tmp_path / "a dir; ü 'x'"
    raw = home / 'raw [landing] "q"'
    shutil.copytree(FIXTURES, raw)
    shutil.copy(raw / "share_view" / "ES.csv", raw / "share_view" / f"{HOSTILE_CUSTOMER}.csv")
    shutil.copy(raw / "logins" / "logins.csv", raw / "logins" / "a b;'c\".csv")
    db = home / "my-db ü.duckdb"
    result = _dbt(["build", "--select", "+path:models/staging"], raw, db)
    assert result.returncode == 0, result.stdout[-5000:]

    raw_rows = dict(query(db, "select _source_file, count(*) from raw.activities group by 1"))
    assert raw_rows[f"share_view/{HOSTILE_CUSTOMER}.csv"] == raw_rows["share_view/ES.csv"]
    login_rows = dict(query(db, "select _source_file, count(*) from raw.logins group by 1"))
    assert login_rows["logins/a b;'c\".csv"] == login_rows["logins/logins.csv"]
    staged = dict(
        query(
            db,
            "select customer_code, count(*) from staging.stg_share_view__activities group by 1",
        )
    )
    assert staged[HOSTILE_CUSTOMER] == staged["ES"] > 0


def test_a_quote_in_the_database_name_stops_with_a_message(tmp_path):
    db = tmp_path / "it's.duckdb"
    result = _dbt(["build", "--select", "path:models/staging"], FIXTURES, db)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "single quote in the database file's name" in output
    assert "Traceback" not in output
