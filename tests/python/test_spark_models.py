"""The runner behind `uptake spark-models`, without Spark: the dbt object it hands the
python_models/ files (ref, config, this, is_incremental) and the delete+insert of the
incremental ones, with the tables read from the DuckDB build of the generated sample
instead of Spark. Run that way, a model must give the table that dbt-duckdb built from
the same file: the runner adds nothing and leaves nothing out. (The Spark side, reading
and writing through a SparkSession, is in test_spark_equality.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from conftest import PROJECT_DIR

from uptake import cli, spark_models

# Models of each kind: from SQL tables (recommendations, aha report, the behaviour
# test's aggregate()), from a fit's pickled models (metrics, with project()) and scored
# (query(), open rows only); scored_at is the clock of the run.
RERUN = [
    "ml_page_recommendations",
    "rpt_aha_moments",
    "rpt_customer_behaviour_differences",
    "ml_adoption_metrics",
    "ml_return_scores",
]
CLOCK_COLUMNS = {"scored_at"}


@pytest.fixture(scope="module")
def manifest(sample_db) -> dict:
    path = sample_db.parent / "dbt_target" / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))


def read_from(db_path: Path, extra: dict[tuple[str, str], pa.Table] | None = None):
    def read_table(schema: str, name: str) -> pa.Table:
        with duckdb.connect(str(db_path), read_only=True) as conn:
            rows = conn.execute(f"select * from {spark_models.quoted(schema, name)}")
            table = rows.to_arrow_table()
        if extra and (schema, name) in extra:
            table = pa.concat_tables([table, extra[(schema, name)].cast(table.schema)])
        return table

    return read_table


def node_named(manifest: dict, name: str) -> dict:
    return next(n for n in spark_models.python_models(manifest) if n["name"] == name)


def test_every_python_model_file_after_the_models_it_refs(manifest):
    ordered = [node["name"] for node in spark_models.python_models(manifest)]
    files = sorted(path.stem for path in (PROJECT_DIR / "python_models").rglob("*.py"))
    assert sorted(ordered) == files
    position = {name: i for i, name in enumerate(ordered)}
    # Read from the files themselves: every dbt.ref("...") of another Python model.
    for path in (PROJECT_DIR / "python_models").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for other in files:
            if other != path.stem and f'dbt.ref("{other}")' in text:
                assert position[other] < position[path.stem], (other, path.stem)


@pytest.mark.parametrize("name", RERUN)
def test_a_model_run_by_the_runner_gives_the_table_dbt_built(sample_db, manifest, name):
    node = node_named(manifest, name)
    with duckdb.connect() as conn:
        rows = spark_models.model_rows(
            node, manifest, PROJECT_DIR, conn, read_from(sample_db), incremental=False
        ).to_arrow_table()
    with duckdb.connect(str(sample_db), read_only=True) as built:
        expected = built.execute(
            f"select * from {spark_models.quoted(node['schema'], name)}"
        ).to_arrow_table()
    assert rows.schema.names == expected.schema.names
    assert [str(t) for t in rows.schema.types] == [str(t) for t in expected.schema.types]
    columns = [c for c in expected.column_names if c not in CLOCK_COLUMNS]
    assert expected.num_rows > 0
    with duckdb.connect() as conn:
        conn.register("actual", rows.select(columns))
        conn.register("expected", expected.select(columns))
        differing = [
            conn.execute(f"select count(*) from (from {a} except all from {b})").fetchone()[0]
            for a, b in (("actual", "expected"), ("expected", "actual"))
        ]
    assert differing == [0, 0]


def test_incremental_keeps_the_stored_fit_and_the_rows_of_other_keys(sample_db, manifest):
    """The data has not moved on since the stored fit: the fit model returns the stored
    rows (dbt.is_incremental, dbt.this, session.execute of on_refit_cadence); the
    delete+insert replaces only its own fit_scope."""
    node = node_named(manifest, "ml_return_fit")
    with duckdb.connect(str(sample_db), read_only=True) as built:
        stored = built.execute("select * from ml.ml_return_fit").to_arrow_table()
    other = stored.slice(0, 1).set_column(
        0, "fit_scope", pa.array(["another_scope"], type=stored.schema.field(0).type)
    )
    assert stored.column_names[0] == "fit_scope"
    read = read_from(sample_db, {("ml", "ml_return_fit"): other})
    with duckdb.connect() as conn:
        rows = spark_models.model_rows(
            node, manifest, PROJECT_DIR, conn, read, incremental=True
        ).to_arrow_table()
    scopes = rows.column("fit_scope").to_pylist()
    assert sorted(scopes) == sorted(stored.column("fit_scope").to_pylist() + ["another_scope"])
    kept = rows.filter(pa.compute.equal(rows.column("fit_scope"), "return"))
    assert kept.sort_by("model_name").equals(stored.sort_by("model_name"))


def test_a_manifest_of_another_engine_is_refused(tmp_path, capsys):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"metadata": {"adapter_type": "duckdb"}}), encoding="utf-8")
    assert cli.main(["spark-models", "--manifest", str(path)]) == 1
    assert "is not of a Spark build (adapter 'duckdb')" in capsys.readouterr().err
    assert cli.main(["spark-models", "--manifest", str(tmp_path / "none.json")]) == 1
    assert "no manifest at" in capsys.readouterr().err
