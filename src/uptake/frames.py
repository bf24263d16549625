"""The typed frames that the dbt Python models return, whatever their input holds.

A dbt Python model's table takes its columns and their types from the frame the model
returns. A frame built from no rows loses both: a column that is missing is missing from
the table, and an empty (or all-null) ``object`` column becomes INTEGER in DuckDB. So
every function behind a Python model declares its output as a :data:`Columns` mapping
(column name -> the SQL type that ``data_type`` gives in the python_models YAML) and
returns ``typed(frame, columns)``: the declared columns, in their order, with their
types, on no rows as on many. :func:`warn` says in the dbt log why a table is empty or a
model was not fitted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

Columns = Mapping[str, str]

# SQL type (as data_type in the YAML) -> the pandas dtype that DuckDB reads as that type.
# Integers and booleans with no missing value keep their numpy dtype (see _cast).
DTYPES = {
    "varchar": pd.StringDtype(),
    "bigint": pd.Int64Dtype(),
    "integer": pd.Int32Dtype(),
    "double": np.dtype("float64"),
    "boolean": pd.BooleanDtype(),
    "timestamp": np.dtype("datetime64[us]"),
    "date": pd.ArrowDtype(pa.date32()),
    "blob": pd.ArrowDtype(pa.binary()),
}

NUMPY_WHEN_COMPLETE = {"bigint": "int64", "integer": "int32", "boolean": "bool"}

try:  # inside dbt: warnings go to dbt's console and log file, like the landing plugin's
    from dbt.adapters.events.logging import AdapterLogger

    _logger = AdapterLogger("uptake")
except ImportError:  # pragma: no cover - the package without dbt
    _logger = logging.getLogger("uptake")


def warn(message: str) -> None:
    """A warning in the dbt log (or Python's log outside dbt)."""
    _logger.warning(message)


def _cast(values: pd.Series, sql_type: str) -> pd.Series:
    dtype = DTYPES[sql_type]
    if sql_type == "timestamp":
        return pd.to_datetime(values).astype(dtype)
    if sql_type == "date":
        days = pd.to_datetime(values).dt.floor("D").astype("datetime64[s]")
        dates = pa.array(days, from_pandas=True).cast(pa.date32())
        return pd.Series(dates, index=values.index, dtype=dtype)
    if sql_type == "blob":
        binary = (bytes, bytearray, memoryview)
        blobs = [bytes(v) if isinstance(v, binary) or not pd.isna(v) else None for v in values]
        return pd.Series(pa.array(blobs, type=pa.binary()), index=values.index, dtype=dtype)
    if sql_type in NUMPY_WHEN_COMPLETE and not values.isna().any():
        return values.astype(NUMPY_WHEN_COMPLETE[sql_type])
    if sql_type == "varchar" and values.dtype != dtype:
        # Not astype(str): a missing value stays missing.
        return values.astype("object").where(values.notna(), None).astype(dtype)
    return values.astype(dtype)


def cast(frame: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """A copy of the frame with the given columns cast to their types; one that the
    frame lacks is added at the end, all null. Other columns stay as they are."""
    result = frame.copy()
    for name, sql_type in columns.items():
        values = frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)
        result[name] = _cast(values, sql_type)
    return result


def typed(frame: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """Exactly the declared columns, in the declared order, cast to their types; a
    declared column that the frame lacks is added, all null."""
    return cast(frame, columns)[list(columns)].reset_index(drop=True)


def empty(columns: Columns) -> pd.DataFrame:
    """No rows, every declared column with its type."""
    return typed(pd.DataFrame(), columns)
