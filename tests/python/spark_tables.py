"""Comparing the relations of two builds row for row (DuckDB and Spark, or two Spark
builds): the Spark relations exported by a Spark session of their own in a subprocess
(the Derby metastore admits one process) as Arrow IPC files, then compared in plain
Python: rows sorted, text, integers, dates and timestamps equal, floating point within
FLOAT_TOLERANCE. Used by test_spark_equality.py and test_spark_incremental.py."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
from conftest import PROJECT_DIR, spark_env

CLOCK_COLUMNS = {"scored_at"}
PICKLE_COLUMNS = {"artifact"}
# Relative tolerance of floating-point values (and an absolute one near zero): the two
# engines sum and average in different orders.
FLOAT_TOLERANCE = 1e-9
FLOAT_ABS_TOLERANCE = 1e-12


EXPORT_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import pyarrow as pa

    from uptake.spark_models import spark_session, spark_table_as_arrow

    out = Path(sys.argv[1])
    spark = spark_session(Path("."), "spark")
    for schema in sys.argv[2:]:
        for table in spark.catalog.listTables(schema):
            rows = spark_table_as_arrow(spark, schema, table.name)
            with pa.OSFile(str(out / f"{schema}.{table.name}.arrow"), "wb") as sink:
                with pa.ipc.new_file(sink, rows.schema) as writer:
                    writer.write_table(rows)
    """
)


def export_spark_schemas(
    spark_dir: Path, out_dir: Path, schemas: tuple[str, ...]
) -> dict[str, pa.Table]:
    """{schema.table: rows} of every relation of ``schemas`` in the Spark build of
    ``spark_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", EXPORT_SCRIPT, str(out_dir), *schemas],
        cwd=PROJECT_DIR,
        env=spark_env(spark_dir),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    tables = {}
    for path in sorted(out_dir.glob("*.arrow")):
        with pa.memory_map(str(path)) as source:
            tables[path.stem] = pa.ipc.open_file(source).read_all()
    return tables


def plain(value):
    """A value as plain Python for comparison: decimals as floats, timestamps without
    zone (both engines hold UTC wall-clock times)."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def sort_key(row: tuple) -> tuple:
    # Nulls first; floats rounded so that two engines' last bits do not reorder rows.
    return tuple(
        (0, "")
        if v is None or (isinstance(v, float) and math.isnan(v))
        else (1, round(v, 6))
        if isinstance(v, float)
        else (1, v)
        for v in row
    )


def same_value(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is None and b is None
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_ABS_TOLERANCE)
    return a == b


def column_values(table: pa.Table, columns: list[str]) -> list[list]:
    return [[plain(v) for v in table.column(c).to_pylist()] for c in columns]


def float_columns(*tables: list[list]) -> set[int]:
    """The positions of the columns holding a float on either engine."""
    return {
        i
        for values in tables
        for i, column in enumerate(values)
        if any(isinstance(v, float) for v in column)
    }


def compared_rows(values: list[list], floats: set[int]) -> list[tuple]:
    """The rows sorted by their exact columns first (ids, counts, text), the floats
    last: two scores equal but for the engines' last bits must not swap two users (their
    rounded values can fall on either side of a rounding boundary)."""
    if not values:
        return []
    order = [i for i in range(len(values)) if i not in floats] + sorted(floats)
    rows = zip(*values, strict=True)
    return sorted(rows, key=lambda row: sort_key(tuple(row[i] for i in order)))


def differences(
    name: str, duck: pa.Table, spark: pa.Table, builds: tuple[str, str] = ("DuckDB", "Spark")
) -> list[str]:
    """What differs between the rows of one relation in two builds (by default DuckDB's
    and Spark's; empty: the same)."""
    first, second = builds
    if sorted(duck.column_names) != sorted(spark.column_names):
        return [f"{name}: columns {duck.column_names} on {first}, {spark.column_names} on {second}"]
    columns = sorted(set(duck.column_names) - CLOCK_COLUMNS - PICKLE_COLUMNS)
    if duck.num_rows != spark.num_rows:
        return [f"{name}: {duck.num_rows} rows on {first}, {spark.num_rows} on {second}"]
    duck_values, spark_values = column_values(duck, columns), column_values(spark, columns)
    floats = float_columns(duck_values, spark_values)
    found = []
    for d_row, s_row in zip(
        compared_rows(duck_values, floats), compared_rows(spark_values, floats), strict=True
    ):
        differing = [
            f"{c}={d!r} vs {s!r}"
            for c, d, s in zip(columns, d_row, s_row, strict=True)
            if not same_value(d, s)
        ]
        if differing:
            found.append(f"{name}: {', '.join(differing)}")
    return found[:5] + ([f"{name}: ... {len(found)} rows differ"] if len(found) > 5 else [])
