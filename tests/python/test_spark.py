"""The Spark target: `dbt build --target spark` (dbt-spark's session method, a local
PySpark) on the sample (data/sample, or the generator's defaults), landed as all-text
Parquet by `uptake land-parquet`. The build runs every SQL model and data and unit test
(the Python models are disabled there; `uptake spark-models` runs them after: see
test_spark_equality.py), the rows_conserved tests among them; the test
then counts the records of every landing file with Python's csv module and finds each
one staged or rejected in the Spark build's rpt_landing_files (read from its Parquet
files, without Spark).

Marked ``spark`` and skipped unless the Spark packages are installed
(`bash scripts/spark.sh --test` installs them and runs these tests alone)."""

from __future__ import annotations

import importlib.util
import json

import duckdb
import pytest
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
