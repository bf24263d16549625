"""The same landing built on DuckDB and on Spark gives the same marts and scored tables.

The sample (data/sample, or the generator's defaults) is built twice: `dbt build` into
a DuckDB file of its own (the Python models run by dbt-duckdb), and on Spark as
scripts/spark.sh builds it (`uptake land-parquet`, `dbt build --target spark`, then
`uptake spark-models`, which runs the same python_models/ files against the Spark
tables: conftest's spark_build, shared with test_spark.py). Every relation of schemas
marts and ml of the DuckDB build must exist on Spark with the same columns and the same
rows: rows sorted, text, integers, dates and timestamps equal, floating point within
FLOAT_TOLERANCE. Left out of the comparison, and why:

- ``scored_at`` (the scored tables): the clock time of the scoring run.
- ``artifact`` (ml.*_fit): the stored fitted model (a skops file). Its bytes are not the
  model alone (the zip's timestamps, the serialiser's object order); what it is shows in
  the metrics, calibration, explanations and scores tables, compared in full.

The Spark relations are read by a Spark session of their own in a subprocess (the Derby
metastore admits one process) and exported as Arrow IPC files, then compared here in
plain Python.

Marked ``spark``: `bash scripts/spark.sh --test` runs it.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from conftest import built_db, run_tool, spark_env
from spark_tables import differences, export_spark_schemas
from test_spark import pytestmark  # noqa: F401 (the spark marks)

SCHEMAS = ("marts", "ml")


def duckdb_relations(db_path: Path) -> dict[str, pa.Table]:
    with duckdb.connect(str(db_path), read_only=True) as conn:
        names = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?::varchar[])) order by 1, 2",
            [list(SCHEMAS)],
        ).fetchall()
        return {
            f"{schema}.{name}": conn.execute(f'select * from "{schema}"."{name}"').to_arrow_table()
            for schema, name in names
        }


@pytest.fixture(scope="module")
def duckdb_build(spark_sample, tmp_path_factory) -> Path:
    return built_db(spark_sample, tmp_path_factory.mktemp("equality_duckdb"))


@pytest.fixture(scope="module")
def spark_relations(spark_build, tmp_path_factory) -> dict[str, pa.Table]:
    return export_spark_schemas(spark_build, tmp_path_factory.mktemp("spark_export"), SCHEMAS)


def test_every_mart_and_scored_table_is_on_spark(duckdb_build, spark_relations):
    duck = duckdb_relations(duckdb_build)
    assert any(name.startswith("marts.ml_") for name in duck)
    assert sorted(duck) == sorted(spark_relations)


def test_marts_and_scored_tables_equal_on_duckdb_and_spark(duckdb_build, spark_relations):
    duck = duckdb_relations(duckdb_build)
    found = [
        difference
        for name in sorted(duck.keys() & spark_relations.keys())
        for difference in differences(name, duck[name], spark_relations[name])
    ]
    assert not found, "\n".join(found)


def test_scored_tables_have_rows_on_spark(spark_relations):
    # The scored tables were really scored (not an empty frame written twice).
    for name in ("marts.ml_adoption_scores", "marts.ml_return_scores"):
        assert spark_relations[name].num_rows > 0, name


def test_the_comparison_sees_a_changed_value():
    rows = pa.table({"a": [1, 2], "b": [0.5, 0.25], "scored_at": [1, 2]})
    changed = pa.table({"a": [2, 1], "b": [0.25, 0.5000001], "scored_at": [3, 4]})
    assert differences("t", rows, rows.select(["b", "a", "scored_at"])) == []
    assert differences("t", rows, changed) == ["t: b=0.5 vs 0.5000001"]


def test_a_second_run_keeps_the_stored_fits_and_scores_the_same(spark_build, spark_relations):
    """Run last (it rewrites the scored tables): a second `uptake spark-models` on the
    same data is incremental; the data has not moved on, so every fit keeps its stored
    rows (the same stored bytes), and every other table comes out the same."""
    rerun = run_tool(
        "uptake",
        ["spark-models", "--manifest", str(spark_build / "dbt_target" / "manifest.json")],
        spark_env(spark_build),
        1800,
    )
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-5000:]
    again = export_spark_schemas(spark_build, spark_build / "export_again", SCHEMAS)
    for name in ("ml.ml_adoption_fit", "ml.ml_return_fit", "ml.ml_share_view_fit"):
        assert (
            again[name].sort_by("model_name").equals(spark_relations[name].sort_by("model_name"))
        ), name
    found = [
        difference
        for name in sorted(spark_relations)
        for difference in differences(name, spark_relations[name], again[name])
    ]
    assert not found, "\n".join(found)


def test_the_comparison_pairs_rows_by_their_exact_columns():
    # Two users whose scores differ in the last bits between the engines, across a
    # rounding boundary: sorted by score first, they would swap and look different.
    low = 0.1234565  # rounds to 0.123456; the next float up rounds to 0.123457
    high = math.nextafter(low, 1.0)
    duck = pa.table({"user_id": ["u1", "u2"], "p": [high, low]})
    spark = pa.table({"user_id": ["u1", "u2"], "p": [low, high]})
    assert differences("t", duck, spark) == []
    other = pa.table({"user_id": ["u1", "u3"], "p": [0.1234565, 0.1234565]})
    assert differences("t", duck, other) == ["t: user_id='u2' vs 'u3'"]
