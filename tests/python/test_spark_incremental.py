"""Incremental runs on Spark: a landing built on Spark, then more files landed (new days,
and late rows of earlier days in new files), then built again incrementally, holds the
same rows as one --full-refresh Spark build of all the files: every table of schemas
staging, intermediate and marts, row for row (spark_tables.differences).

The landing is test_incremental.py's (the generator at scale 0.05, Parquet, cut by
event date into four slices, a random half of the rows of a cut's last two days held
back to the next slice): slices 0 to 2 are landed and built first, slice 3 after. The
builds are those models and seeds (the data tests run in test_spark.py's build). The
landing record is checked on the way: the second `uptake land-parquet` lands the new
files alone, keeps the record of the first (each file once, its first landed_at), and
rpt_landing_files lists each file once, a file that is not data with its reason.

Marked ``spark``: `bash scripts/spark.sh --test` runs it (three Spark builds of a small
landing, the full-refresh one beside the two incremental ones)."""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from conftest import run_tool, spark_env
from spark_tables import differences, export_spark_schemas
from test_incremental import BUILD, _land, _write_slices
from test_spark import pytestmark  # noqa: F401 (the spark marks)

SCHEMAS = ("staging", "intermediate", "marts")
# test_incremental.py's models and seeds, and the landing audit.
SPARK_BUILD = [*BUILD, "+rpt_landing_files"]


def _land_parquet(raw_dir: Path, spark_dir: Path, *flags: str) -> list[str]:
    landing = spark_dir / "landing"
    return ["uptake", "land-parquet", "--raw-dir", str(raw_dir), "--out", str(landing), *flags]


def _build(spark_dir: Path, *flags: str) -> list[str]:
    target = spark_dir / "dbt_target"
    return ["dbt", *SPARK_BUILD, "--target", "spark", "--target-path", str(target), *flags]


def _run(spark_dir: Path, *commands: list[str]) -> list[str]:
    """Run the commands one after the other on the Spark build of ``spark_dir``; return
    their outputs (the first that fails fails the test)."""
    outputs = []
    for tool, *args in commands:
        result = run_tool(tool, args, spark_env(spark_dir), 2400)
        assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]
        outputs.append(result.stdout)
    return outputs


def _parquet(folder: Path, sql: str) -> list[tuple]:
    with duckdb.connect() as conn:
        return conn.execute(sql.replace("FILES", f"read_parquet('{folder}/*.parquet')")).fetchall()


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> dict:
    from uptake.generator import generate

    base = tmp_path_factory.mktemp("spark_replay")
    generate(base / "generated", seed=3, scale=0.05, fmt="parquet")
    late_rows = _write_slices(base / "generated", base)
    raw_dir, all_files = base / "raw", base / "all_files"
    shutil.copytree(base / "slices", all_files / "slices")
    for n in range(4):
        _land(all_files, n)
    (all_files / "raw" / "logins" / "notes.xlsx").write_bytes(b"not data")

    # The full-refresh build of every file runs beside the incremental ones (a build of
    # this small landing is mostly Spark's and dbt's per-statement overhead, on one core).
    full = base / "full"
    with ThreadPoolExecutor(1) as pool:
        full_done = pool.submit(
            _run,
            full,
            _land_parquet(all_files / "raw", full, "--full-refresh"),
            _build(full, "--full-refresh"),
        )
        incremental = base / "incremental"
        for n in range(3):
            _land(base, n)
        first_landing, _ = _run(
            incremental, _land_parquet(raw_dir, incremental), _build(incremental)
        )
        first_record = _parquet(
            incremental / "landing" / "_landed_files", "select file_path, landed_at from FILES"
        )
        _land(base, 3)
        (raw_dir / "logins" / "notes.xlsx").write_bytes(b"not data")
        second_landing, _ = _run(
            incremental, _land_parquet(raw_dir, incremental), _build(incremental)
        )
        full_done.result()
    return {
        "raw_dir": raw_dir,
        "incremental": incremental,
        "full": full,
        "late_rows": late_rows,
        "first_landing": first_landing,
        "second_landing": second_landing,
        "first_record": first_record,
        "tables": {
            name: export_spark_schemas(base / name, base / f"{name}_export", SCHEMAS)
            for name in ("incremental", "full")
        },
    }


def test_the_second_landing_appends_the_new_files_alone(replayed):
    raw_dir = replayed["raw_dir"]
    data_files = sorted(p.relative_to(raw_dir).as_posix() for p in raw_dir.glob("*/*.parquet"))
    new_files = [f for f in data_files if "slice3" in f]
    assert replayed["late_rows"] > 50 and len(new_files) == 9
    first, second = (
        [int(n) for n in re.findall(r" from (\d+) new file\(s\)", replayed[key])]
        for key in ("first_landing", "second_landing")
    )
    assert len(first) == len(second) == 4
    assert min(first) > 0 and sum(first) == len(data_files) - len(new_files)
    assert sum(second) == len(new_files)
    landing = replayed["incremental"] / "landing"
    record = _parquet(landing / "_landed_files", "select file_path, landed_at from FILES")
    assert sorted(path for path, _ in record) == data_files  # each file once
    assert set(replayed["first_record"]) <= set(record)  # the first run's record kept
    for table in ("logins", "page_events", "users", "activities"):
        assert len(list((landing / table).glob("part-*.parquet"))) == 2, table


def test_rpt_landing_files_lists_each_file_once(replayed):
    rows = replayed["tables"]["incremental"]["marts.rpt_landing_files"].to_pylist()
    files = [row["source_file"] for row in rows]
    assert len(files) == len(set(files))
    not_landed = {
        row["source_file"]: row["not_landed_reason"] for row in rows if not row["is_landed"]
    }
    assert list(not_landed) == ["logins/notes.xlsx"]
    assert not_landed["logins/notes.xlsx"].startswith("not a data file")
    landed = {row["source_file"] for row in rows if row["is_landed"]}
    raw_dir = replayed["raw_dir"]
    assert landed == {p.relative_to(raw_dir).as_posix() for p in raw_dir.glob("*/*.parquet")}


def test_the_incremental_build_took_the_incremental_branch(replayed):
    # The second build's compiled SQL of an incremental staging model reads only the
    # files it has not staged (is_incremental() was true on Spark).
    compiled = replayed["incremental"] / "dbt_target" / "compiled" / "uptake" / "models"
    sql = next(compiled.glob("staging/**/base_product__logins.sql")).read_text(encoding="utf-8")
    assert "loaded_files" in sql and "_source_file not in" in sql


def test_every_table_equals_a_full_refresh_on_spark(replayed):
    incremental, full = replayed["tables"]["incremental"], replayed["tables"]["full"]
    # No work table of the Spark strategies is left beside the models (it was: a copy
    # of every delete+insert model, <model>__dbt_rewrite, after each incremental run).
    assert not [name for name in incremental if "__dbt_" in name]
    assert sorted(incremental) == sorted(full)
    assert {"marts.fct_user_days", "staging.base_product__logins"} <= set(full)
    assert all(full[name].num_rows > 0 for name in ("marts.fct_user_days", "marts.fct_adoption"))
    found = [
        difference
        for name in sorted(full)
        for difference in differences(
            name, incremental[name], full[name], ("incremental", "full refresh")
        )
    ]
    assert not found, "\n".join(found)
