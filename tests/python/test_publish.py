"""`uptake publish`: the published file holds every relation of schema marts of the build
file, as tables, and replaces the previous one whole: a reader that opened the old file
keeps reading the old rows, a new reader gets the new ones, and a failed publish leaves
the last published file as it was."""

from __future__ import annotations

import duckdb
import pytest

from uptake import serving


def make_build(path, rows: int) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute("create schema staging")
        conn.execute(f"create table marts.fct_a as select range as id from range({rows})")
        conn.execute("create view marts.rpt_b as select count(*) as n from marts.fct_a")
        conn.execute("create table staging.stg_c as select 1 as id")


def test_publish_copies_marts_and_replaces_whole(tmp_path):
    build, out = tmp_path / "build.duckdb", tmp_path / "published.duckdb"
    make_build(build, 3)
    assert serving.publish(build, out) == {"marts.fct_a": 3, "marts.rpt_b": 1}

    reader = serving.connect_published(out)
    tables = reader.execute(
        "select table_schema, table_name, table_type from information_schema.tables order by 1, 2"
    ).fetchall()
    assert tables == [
        ("main", "_published", "BASE TABLE"),
        ("marts", "fct_a", "BASE TABLE"),
        ("marts", "rpt_b", "BASE TABLE"),
    ]

    build.unlink()
    make_build(build, 5)
    serving.publish(build, out)
    # The open reader still sees the build it opened; a new one sees the new build.
    assert reader.execute("select count(*) from marts.fct_a").fetchone() == (3,)
    reader.close()
    with serving.connect_published(out) as fresh:
        assert fresh.execute("select n from marts.rpt_b").fetchone() == (5,)
    assert not list(tmp_path.glob(".*publishing*"))


def test_failed_publish_keeps_the_last_published_file(tmp_path):
    build, out = tmp_path / "build.duckdb", tmp_path / "published.duckdb"
    make_build(build, 2)
    serving.publish(build, out)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(RuntimeError, match="nothing to publish"):
        serving.publish(empty, out)
    with serving.connect_published(out) as conn:
        assert conn.execute("select count(*) from marts.fct_a").fetchone() == (2,)
    assert not list(tmp_path.glob(".*publishing*"))


def test_missing_published_file_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="scripts/build.sh"):
        serving.connect_published(tmp_path / "absent.duckdb")
