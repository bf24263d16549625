"""Parquet exports land with one ``insert ... select`` on the target database: the raw
rows equal an independent reading of the file with pyarrow, whatever the file's name or
row groups, and the manifest and the raw table never disagree."""

from __future__ import annotations

import datetime as dt
import json
import os

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES
from dbt.adapters.duckdb.utils import SourceConfig

from uptake.dbt_plugin import LandingError, Plugin
from uptake.landing import SPECS, RawTable, load_folder, normalise_header

RAW_TABLES = {
    "share_view": "raw.activities",
    "users": "raw.users",
    "logins": "raw.logins",
    "page_events": "raw.page_events",
}


def connect(path) -> duckdb.DuckDBPyConnection:
    """A database as the profile opens it: rows inserted in parallel, in no order."""
    return duckdb.connect(str(path), config={"threads": 2, "preserve_insertion_order": False})


def land(conn, raw_dir, folder: str) -> pa.Table:
    """Resolve one landing source as the on-run-start hook does."""
    plugin = Plugin(name="landing", plugin_config={})
    plugin.configure_connection(conn)
    (catalog,) = conn.execute("select current_database()").fetchone()
    return plugin.load(
        SourceConfig(
            name=f"landed_now_{folder}",
            identifier=f"_landed_now_{folder}",
            schema="raw",
            database=catalog,
            meta={
                "landing_folder": folder,
                "raw_dir": str(raw_dir),
                "raw_table": RAW_TABLES[folder],
            },
            tags=[],
        )
    )


def as_text(value) -> str | None:
    """A typed Parquet value as the text an export would hold, computed in Python."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def expected_rows(path, relative: str, source: str) -> dict[int, dict]:
    """The raw rows of one Parquet file, read with pyarrow, by line (row number + 2)."""
    spec = SPECS[source]
    rows = {}
    for number, record in enumerate(pq.read_table(path).to_pylist()):
        row = dict.fromkeys(spec.output_columns)
        row.update(_source_file=relative, _source_line=number + 2, _file_stem=path.stem)
        extras = {}
        for name, value in record.items():
            key = normalise_header(name)
            if key in spec.columns:
                row[key] = as_text(value)
            elif as_text(value) not in (None, ""):
                extras[key] = as_text(value)
        row["_extra_columns"] = extras or None
        rows[number + 2] = row
    return rows


def raw_rows(conn, source: str, relative: str) -> dict[int, dict]:
    cursor = conn.execute(f"select * from {RAW_TABLES[source]} where _source_file = ?", [relative])
    names = [d[0] for d in cursor.description]
    rows = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        if row["_extra_columns"] is not None:
            row["_extra_columns"] = json.loads(row["_extra_columns"])
        assert row["_source_line"] not in rows, "a line landed twice"
        rows[row["_source_line"]] = row
    return rows


def page_events(n: int, offset: int = 0) -> pa.Table:
    """Typed columns, three columns the contract does not name (an index, a flag, a
    comment, some empty), and no os."""
    start = dt.datetime(2024, 1, 1, 10)
    return pa.table(
        {
            "Unnamed: 0": pa.array(range(offset, offset + n), pa.int64()),
            "ts": [start + dt.timedelta(seconds=i, microseconds=i % 7) for i in range(n)],
            "user_id": [str(10**38 + offset + i) for i in range(n)],
            " Browser": [None if i % 5 == 0 else f"Édge {i % 3}" for i in range(n)],
            "plan": [["monthly", "yearly", ""][i % 3] for i in range(n)],
            "page": [f"page \"{i % 11}\", 'q'" for i in range(n)],
            'no"te': [None if i % 4 else i % 2 == 0 for i in range(n)],
            "Comment": [["", None, "x, y"][i % 3] for i in range(n)],
        }
    )


def test_parquet_rows_equal_a_pyarrow_reading_of_the_file(tmp_path):
    raw_dir = tmp_path / "landing"
    (raw_dir / "page_events").mkdir(parents=True)
    path = raw_dir / "page_events" / "events.parquet"
    # Many row groups: DuckDB inserts them in parallel, in any order.
    pq.write_table(page_events(5000), path, row_group_size=256)
    conn = connect(tmp_path / "my-db.duckdb")  # a catalog name with a hyphen
    landed_now = land(conn, raw_dir, "page_events")

    expected = expected_rows(path, "page_events/events.parquet", "page_events")
    got = raw_rows(conn, "page_events", "page_events/events.parquet")
    assert sorted(got) == list(range(2, 5002))
    assert got == expected
    assert got[2]["_extra_columns"] == {"no_te": "true", "unnamed_0": "0"}
    assert got[3]["_extra_columns"] == {"unnamed_0": "1"}
    assert got[2]["os"] is None and got[2]["browser"] is None and got[3]["plan"] == "yearly"
    assert landed_now.to_pydict()["record_count"] == [5000]
    assert conn.execute("select file_path, record_count from raw._landed_files").fetchall() == [
        ("page_events/events.parquet", 5000)
    ]


def test_a_file_name_with_quotes_and_glob_characters_lands_only_that_file(tmp_path):
    # DuckDB takes "it's [1].parquet" as a pattern that matches "it's 1.parquet".
    (tmp_path / "page_events").mkdir()
    names = {"it's [1].parquet": 30, "it's 1.parquet": 20, "a*b?.parquet": 10, "ab.parquet": 5}
    for offset, (name, n) in enumerate(names.items()):
        pq.write_table(page_events(n, offset * 1000), tmp_path / "page_events" / name)
    conn = connect(tmp_path / "uptake.duckdb")
    land(conn, tmp_path, "page_events")
    for name, n in names.items():
        relative = f"page_events/{name}"
        got = raw_rows(conn, "page_events", relative)
        assert len(got) == n
        assert got == expected_rows(tmp_path / "page_events" / name, relative, "page_events")


def test_a_file_without_a_required_column_lands_every_row_with_the_reason(tmp_path):
    (tmp_path / "logins").mkdir()
    pq.write_table(
        pa.table({"time_stamp": ["2024-01-01", "2024-01-02"], "visited": [1, 1]}),
        tmp_path / "logins" / "no_user.parquet",
    )
    conn = connect(tmp_path / "uptake.duckdb")
    land(conn, tmp_path, "logins")
    rows = raw_rows(conn, "logins", "logins/no_user.parquet")
    assert sorted(rows) == [2, 3]
    assert {r["_load_error"] for r in rows.values()} == {"file lacks required column(s): user_id"}
    assert rows[3]["time_stamp"] == "2024-01-02" and rows[3]["visited"] == "1"


def test_a_file_that_fails_midway_leaves_neither_rows_nor_manifest(tmp_path):
    folder = tmp_path / "page_events"
    folder.mkdir()
    pq.write_table(page_events(100), folder / "a.parquet")
    conn = connect(tmp_path / "uptake.duckdb")
    land(conn, tmp_path, "page_events")
    pq.write_table(page_events(100, 100), folder / "b.parquet")
    (folder / "c.parquet").write_bytes(b"PAR1 not a parquet file PAR1")
    with pytest.raises(Exception):  # noqa: B017 (whatever DuckDB or pyarrow raise)
        land(conn, tmp_path, "page_events")
    # b.parquet's rows went in before c.parquet failed: the transaction took them back.
    assert conn.execute(
        "select count(*), count(distinct _source_file) from raw.page_events"
    ).fetchone() == (100, 1)
    assert conn.execute("select file_path from raw._landed_files").fetchall() == [
        ("page_events/a.parquet",)
    ]
    (folder / "c.parquet").unlink()
    land(conn, tmp_path, "page_events")
    assert conn.execute(
        "select record_count from raw._landed_files where file_path = 'page_events/b.parquet'"
    ).fetchall() == [(100,)]
    assert len(raw_rows(conn, "page_events", "page_events/b.parquet")) == 100


def test_a_changed_parquet_file_is_refused(tmp_path):
    folder = tmp_path / "logins"
    folder.mkdir()
    path = folder / "logins.parquet"
    pq.write_table(pa.table({"time_stamp": ["2024-01-01"], "user_id": ["1"]}), path)
    conn = connect(tmp_path / "uptake.duckdb")
    land(conn, tmp_path, "logins")
    pq.write_table(
        pa.table({"time_stamp": ["2024-01-01", "2024-01-02"], "user_id": ["1", "2"]}), path
    )
    os.utime(path, ns=(1, 1))
    with pytest.raises(LandingError, match="changed after they were landed"):
        land(conn, tmp_path, "logins")
    assert conn.execute("select count(*) from raw.logins").fetchone() == (1,)


@pytest.mark.parametrize("source", sorted(SPECS))
def test_the_raw_table_holds_what_the_in_memory_reader_reads(tmp_path, source):
    """The fixtures (CSV through batches, with fallbacks and retractions; Parquet through
    SQL) land in a raw table as :func:`load_folder` reads them, row for row."""
    conn = connect(tmp_path / "uptake.duckdb")
    conn.execute("create schema raw")
    table = RawTable(conn, RAW_TABLES[source], source)
    table.create()
    table.land(FIXTURES)
    expected, _ = load_folder(FIXTURES, source)
    conn.register("expected", expected)
    for one, other in (("expected", RAW_TABLES[source]), (RAW_TABLES[source], "expected")):
        (missing,) = conn.execute(
            f"select count(*) from (select * from {one} except all select * from {other})"
        ).fetchone()
        assert missing == 0
    assert table.rows == expected.num_rows > 0
