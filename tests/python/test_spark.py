"""The Spark target: `dbt build --target spark` (dbt-spark's session method, a local
PySpark) on the sample (data/sample, or the generator's defaults), landed as all-text
Parquet by `uptake land-parquet`. The build runs every SQL model and data and unit test
(the Python models are disabled on Spark), the rows_conserved tests among them; the test
then counts the records of every landing file with Python's csv module and finds each
one staged or rejected in the Spark build's rpt_landing_files (read from its Parquet
files, without Spark).

Marked ``spark`` and skipped unless the Spark packages are installed
(`bash scripts/spark.sh --test` installs them and runs these tests alone)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR
from test_sample_landing import count_records

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None,
        reason="the Spark stack is not installed (bash scripts/spark.sh --test)",
    ),
]

LANDING_FOLDERS = ("share_view", "users", "logins", "page_events")


def build_on_spark(raw_dir: Path, spark_dir: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "UPTAKE_SPARK_DIR": str(spark_dir),
        "UPTAKE_SPARK_LANDING_DIR": str(spark_dir / "landing"),
    }
    env.pop("UPTAKE_RAW_DIR", None)
    env.pop("UPTAKE_TARGET", None)
    bin_dir = Path(sys.executable).parent
    landing = subprocess.run(
        [str(bin_dir / "uptake"), "land-parquet", "--raw-dir", str(raw_dir)]
        + ["--out", str(spark_dir / "landing")],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert landing.returncode == 0, landing.stdout + landing.stderr
    return subprocess.run(
        [str(bin_dir / "dbt"), "build", "--target", "spark"]
        + ["--target-path", str(spark_dir / "dbt_target")],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=2400,
    )


@pytest.fixture(scope="module")
def spark_sample(tmp_path_factory) -> Path:
    """The sample the README's build uses: data/sample when scripts/build.sh made it,
    else the same (the generator's defaults) written here."""
    sample = PROJECT_DIR / "data" / "sample"
    if (sample / "GENERATOR.json").is_file():
        return sample
    from uptake.generator import generate

    out = tmp_path_factory.mktemp("spark_sample") / "landing"
    generate(out)
    return out


@pytest.fixture(scope="module")
def spark_build(spark_sample, tmp_path_factory) -> Path:
    spark_dir = tmp_path_factory.mktemp("spark")
    result = build_on_spark(spark_sample, spark_dir)
    assert result.returncode == 0, result.stdout[-8000:]
    return spark_dir


def test_spark_build_runs_every_sql_node(spark_build):
    results = json.loads((spark_build / "dbt_target" / "run_results.json").read_text())
    statuses = {r["unique_id"]: r["status"] for r in results["results"]}
    # The saved queries of the metrics layer have no exports: dbt build passes them over.
    saved_queries = {uid for uid in statuses if uid.startswith("saved_query.")}
    assert {statuses.pop(uid) for uid in saved_queries} <= {"no-op"}
    assert statuses and set(statuses.values()) <= {"success", "pass"}
    conserved = [uid for uid in statuses if uid.startswith("test.uptake.source_rows_conserved_")]
    assert len(conserved) == len(LANDING_FOLDERS)
    assert not any(uid.startswith("model.uptake.ml_") for uid in statuses)


def test_every_record_is_staged_or_rejected_on_spark(spark_sample, spark_build):
    expected = {
        path.relative_to(spark_sample).as_posix(): count_records(path)
        for folder in LANDING_FOLDERS
        for path in sorted((spark_sample / folder).glob("*.csv"))
    }
    files = spark_build / "warehouse" / "marts.db" / "rpt_landing_files" / "*.parquet"
    with duckdb.connect() as conn:
        rows = conn.execute(
            f"select source_file, staged_rows, rejected_rows from read_parquet('{files}')"
        ).fetchall()
    assert {file: staged + rejected for file, staged, rejected in rows} == expected
