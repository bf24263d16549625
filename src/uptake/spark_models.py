"""The dbt Python models of python_models/ run against a Spark build.

dbt-spark runs Python models only on Databricks, so the Spark target disables them
(dbt_project.yml). ``uptake spark-models`` runs the very same model files after
``dbt build --target spark``, one after the other in the order of their refs: each
model's ``model(dbt, session)`` gets a ``dbt`` object whose ``ref()`` reads the Spark
table through the SparkSession (the ``spark`` output of profiles.yml: the same
warehouse and metastore as the build) into an in-memory DuckDB database, and a DuckDB
``session``, so the model's calls (``.df()``, ``.query()``, ``.project()``,
``.aggregate()``, ``session.execute``) run as they do in the DuckDB build. The frame it
returns is written back through Spark as the model's table (``saveAsTable`` in the
model's schema, its file format). An incremental model (the fits' refit cadence) reads
its own stored table as ``dbt.this`` and replaces the rows of its ``unique_key``, as
dbt's delete+insert does.

What each model is (file, schema, materialization, refs, config meta with the vars
rendered) is read from the manifest that ``dbt build --target spark`` wrote: the Python
models are there among its disabled nodes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

DEFAULT_MANIFEST = Path("target") / "manifest.json"

# DuckDB type of a returned column -> the Spark SQL type it is written as.
SPARK_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "INTEGER": "int",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BLOB": "binary",
}


class SparkModelsError(RuntimeError):
    """The manifest or a model cannot be run on Spark: the message says why."""


def quoted(schema: str, name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name))


def all_nodes(manifest: dict) -> list[dict]:
    """The manifest's nodes, the disabled ones included."""
    return list(manifest.get("nodes", {}).values()) + [
        node for versions in manifest.get("disabled", {}).values() for node in versions
    ]


def python_models(manifest: dict) -> list[dict]:
    """The Python model nodes of a manifest (disabled in a Spark build's, enabled in a
    DuckDB build's), each after the Python models it refs (ties by name)."""
    nodes = {
        node["name"]: node
        for node in all_nodes(manifest)
        if node.get("resource_type") == "model" and node.get("language") == "python"
    }
    ordered: list[dict] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in placed:
            return
        if name in path:
            raise SparkModelsError(f"Python models ref each other in a cycle: {path}")
        for ref in sorted(r["name"] for r in nodes[name]["refs"]):
            if ref in nodes:
                place(ref, (*path, name))
        placed.add(name)
        ordered.append(nodes[name])

    for name in sorted(nodes):
        place(name, ())
    return ordered


def relations(manifest: dict) -> dict[str, tuple[str, str]]:
    """{model or seed name: (schema, table)} of the manifest, Python models included."""
    found = {}
    for node in all_nodes(manifest):
        if node.get("resource_type") in ("model", "seed", "snapshot"):
            found.setdefault(node["name"], (node["schema"], node.get("alias") or node["name"]))
    return found


def sources(manifest: dict) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (node["source_name"], node["name"]): (node["schema"], node["identifier"])
        for node in manifest.get("sources", {}).values()
    }


class Config:
    """``dbt.config``: get() reads the node's config (meta with the vars rendered);
    calling it (``dbt.config(schema=...)``) changes nothing: dbt parsed those calls
    into the manifest."""

    def __init__(self, config: dict):
        self._config = config

    def __call__(self, **_changes) -> None:
        return None

    def get(self, key: str, default=None):
        return self._config.get(key, default)


class ModelContext:
    """The ``dbt`` object a Python model gets: ``ref``, ``source``, ``config``,
    ``this`` and ``is_incremental``, over a DuckDB connection that holds the tables
    read from Spark."""

    def __init__(
        self,
        node: dict,
        conn: duckdb.DuckDBPyConnection,
        load: Callable[[str, str], duckdb.DuckDBPyRelation],
        manifest: dict,
        *,
        is_incremental: bool,
    ):
        self._node = node
        self._load = load
        self._relations = relations(manifest)
        self._sources = sources(manifest)
        self.config = Config(node["config"])
        self.this = quoted(node["schema"], node.get("alias") or node["name"])
        self.is_incremental = is_incremental
        self.conn = conn

    def ref(self, name: str, *args, **kwargs) -> duckdb.DuckDBPyRelation:
        name = args[-1] if args else name
        if name not in self._relations:
            raise SparkModelsError(f"{self._node['name']}: ref({name!r}) names no model")
        return self._load(*self._relations[name])

    def source(self, source_name: str, table_name: str) -> duckdb.DuckDBPyRelation:
        key = (source_name, table_name)
        if key not in self._sources:
            raise SparkModelsError(
                f"{self._node['name']}: source({source_name!r}, {table_name!r}) is not declared"
            )
        return self._load(*self._sources[key])


def spark_session(project_dir: Path, target: str):
    """The SparkSession of the profile's Spark output, built as dbt-spark's session
    method builds it (its server-side parameters as Spark configs, Hive support)."""
    from argparse import Namespace

    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context
    from pyspark.sql import SparkSession

    set_invocation_context(os.environ)
    set_from_args(Namespace(), None)
    profiles_dir = os.environ.get("DBT_PROFILES_DIR", str(project_dir))
    profile = Profile.from_raw_profiles(
        read_profile(profiles_dir), "uptake", ProfileRenderer({}), target_override=target
    )
    credentials = profile.credentials
    if credentials.type != "spark" or credentials.method != "session":
        raise SparkModelsError(
            f"target {target!r} is not dbt-spark's session method (type "
            f"{credentials.type!r}, method {getattr(credentials, 'method', None)!r})"
        )
    # No progress bars between the models' lines.
    builder = SparkSession.builder.enableHiveSupport().config(
        "spark.ui.showConsoleProgress", "false"
    )
    for key, value in (credentials.server_side_parameters or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_table_as_arrow(spark, schema: str, name: str) -> pa.Table:
    """A Spark table's rows as Arrow (timestamps as UTC wall-clock time, without zone,
    as the DuckDB build's timestamps are)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    frame = spark.table(f"`{schema}`.`{name}`")
    arrow_schema = to_arrow_schema(frame.schema)
    collect = getattr(frame, "toArrow", None)  # PySpark 4
    if collect is not None:
        table = collect()
    else:
        table = pa.Table.from_batches(frame._collect_as_arrow(), schema=arrow_schema)
    naive = pa.schema(
        [
            pa.field(f.name, pa.timestamp(f.type.unit), f.nullable)
            if pa.types.is_timestamp(f.type) and f.type.tz is not None
            else f
            for f in table.schema
        ]
    )
    return table.cast(naive)


def _spark_value(value, spark_type: str):
    if spark_type == "timestamp" and isinstance(value, dt.datetime) and value.tzinfo is None:
        # Spark reads a zoneless datetime in the Python process's zone: UTC is meant.
        return value.replace(tzinfo=dt.UTC)
    return value


def write_to_spark(
    spark, relation: duckdb.DuckDBPyRelation, schema: str, name: str, file_format: str
) -> int:
    """Write a DuckDB relation as the Spark table ``schema.name`` (replacing it);
    return its rows."""
    from pyspark.sql.types import _parse_datatype_string

    columns = relation.columns
    types = []
    for column, duck_type in zip(columns, relation.types, strict=True):
        text = str(duck_type).upper()
        if text.startswith("DECIMAL"):
            types.append(text.lower())
        elif text in SPARK_TYPES:
            types.append(SPARK_TYPES[text])
        else:
            raise SparkModelsError(
                f"{schema}.{name}: column {column!r} has type {text}, not one Spark is given"
            )
    ddl = ", ".join(f"`{c}` {t}" for c, t in zip(columns, types, strict=True))
    spark_schema = _parse_datatype_string(ddl)
    rows = [
        tuple(_spark_value(v, t) for v, t in zip(row, types, strict=True))
        for row in relation.fetchall()
    ]
    spark.sql(f"create database if not exists `{schema}`")
    frame = spark.createDataFrame(rows, schema=spark_schema)
    frame.write.mode("overwrite").format(file_format).saveAsTable(f"`{schema}`.`{name}`")
    return len(rows)


def model_rows(
    node: dict,
    manifest: dict,
    project_dir: Path,
    conn: duckdb.DuckDBPyConnection,
    read_table: Callable[[str, str], pa.Table],
    *,
    incremental: bool,
) -> duckdb.DuckDBPyRelation:
    """Run one Python model file with the tables it refs read by ``read_table(schema,
    name)`` into ``conn``; return the rows its table is to hold (for an incremental
    model, its stored rows of other keys and the new rows, as delete+insert leaves
    them). Engine-free: Spark comes in through ``read_table`` alone."""
    schema, name = node["schema"], node.get("alias") or node["name"]
    config = node["config"]
    loaded: dict[tuple[str, str], duckdb.DuckDBPyRelation] = {}

    def load(table_schema: str, table_name: str) -> duckdb.DuckDBPyRelation:
        key = (table_schema, table_name)
        if key not in loaded:
            rows = read_table(table_schema, table_name)
            conn.execute(f'create schema if not exists "{table_schema}"')
            conn.register("_read_rows", rows)
            conn.execute(f"create table {quoted(*key)} as select * from _read_rows")
            conn.unregister("_read_rows")
            loaded[key] = conn.table(quoted(*key))
        return loaded[key]

    if incremental:
        load(schema, name)
    context = ModelContext(node, conn, load, manifest, is_incremental=incremental)
    path = project_dir / node["original_file_path"]
    spec = importlib.util.spec_from_file_location(f"uptake_python_model_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.model(context, conn)
    if not isinstance(result, pd.DataFrame):
        raise SparkModelsError(f"{node['name']}: model() returned {type(result).__name__}")
    conn.register("_model_rows", result)
    written = conn.sql("select * from _model_rows")
    if not incremental:
        return written
    key = config.get("unique_key")
    if not key or config.get("incremental_strategy") != "delete+insert":
        raise SparkModelsError(
            f"{node['name']}: incremental strategy {config.get('incremental_strategy')!r} "
            f"with unique_key {key!r}: only delete+insert on a unique_key is supported here"
        )
    keys = [key] if isinstance(key, str) else list(key)
    # dbt's delete+insert: the stored rows of other keys, then the new rows.
    key_list = ", ".join(f'"{k}"' for k in keys)
    column_list = ", ".join(f'"{c}"' for c in written.columns)
    stored_columns = ", ".join(f'stored."{c}"' for c in written.columns)
    return conn.sql(
        f"select {stored_columns} from {quoted(schema, name)} as stored "
        f"anti join _model_rows using ({key_list}) "
        f"union all select {column_list} from _model_rows"
    )


def run_model(
    spark,
    node: dict,
    manifest: dict,
    project_dir: Path,
    *,
    full_refresh: bool = False,
) -> int:
    """Run one Python model file against Spark and write its table; return its rows.
    Incremental (dbt.is_incremental) when the model is and its table exists, unless
    ``full_refresh``."""
    schema, name = node["schema"], node.get("alias") or node["name"]
    config = node["config"]
    incremental = (
        config.get("materialized") == "incremental"
        and not full_refresh
        and bool(spark.catalog.tableExists(f"`{schema}`.`{name}`"))
    )
    with duckdb.connect() as conn:
        rows = model_rows(
            node,
            manifest,
            project_dir,
            conn,
            lambda table_schema, table_name: spark_table_as_arrow(spark, table_schema, table_name),
            incremental=incremental,
        )
        file_format = config.get("file_format") or "parquet"
        return write_to_spark(spark, rows, schema, name, file_format)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--manifest",
        type=Path,
        default=DEFAULT_MANIFEST,
        help=f"manifest.json of the `dbt build --target spark` (default: {DEFAULT_MANIFEST})",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path("."), help="the dbt project (default: .)"
    )
    parser.add_argument(
        "--target", default="spark", help="the profile's Spark output (default: spark)"
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models whole (refit every fit), as dbt's flag does",
    )
    parser.add_argument(
        "--select", nargs="+", metavar="MODEL", help="run only these models (in ref order)"
    )


def run(args: argparse.Namespace) -> int:
    if not args.manifest.is_file():
        print(
            f"uptake spark-models: no manifest at {args.manifest}: run "
            "`dbt build --target spark` first",
            file=sys.stderr,
        )
        return 1
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    adapter = manifest.get("metadata", {}).get("adapter_type")
    if adapter != "spark":
        raise SparkModelsError(
            f"{args.manifest} is not of a Spark build (adapter {adapter!r}): run "
            "`dbt build --target spark` first, or pass its --manifest"
        )
    nodes = python_models(manifest)
    if args.select:
        unknown = set(args.select) - {n["name"] for n in nodes}
        if unknown:
            raise SparkModelsError(f"not Python models of the manifest: {sorted(unknown)}")
        nodes = [n for n in nodes if n["name"] in args.select]
    project_dir = args.project_dir.resolve()
    spark = spark_session(project_dir, args.target)
    started = time.monotonic()
    for i, node in enumerate(nodes, 1):
        model_started = time.monotonic()
        try:
            rows = run_model(spark, node, manifest, project_dir, full_refresh=args.full_refresh)
        except SparkModelsError:
            raise
        except Exception as error:  # the model's own error, named with the model
            raise SparkModelsError(f"{node['name']}: {type(error).__name__}: {error}") from error
        print(
            f"{i:>3} of {len(nodes)}  {node['schema']}.{node['name']:<40} {rows:>9,} rows "
            f"in {time.monotonic() - model_started:.1f} s",
            flush=True,
        )
    print(f"{len(nodes)} Python models written through Spark in {time.monotonic() - started:.0f} s")
    return 0
