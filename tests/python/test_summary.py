"""`uptake summary --require-rows`: what .ci/run checks after the sample build."""

from __future__ import annotations

import duckdb
import pytest

from uptake import cli


def _database(path, page_events: int, landed_now: int, marts: int = 1):
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema raw; create schema marts")
        conn.execute(
            "create table raw.page_events as select range as x from range(?)", [page_events]
        )
        conn.execute(
            "create table raw._landed_now_page_events as select range as x from range(?)",
            [landed_now],
        )
        conn.execute("create table marts.fct_user_days as select range as x from range(?)", [marts])
        # Empty when nothing was rejected: never asked for rows.
        conn.execute("create table marts.rpt_landing_rejections as select 1 as x where false")


@pytest.mark.parametrize(
    ("page_events", "landed_now", "marts", "expected"),
    [
        (3, 3, 1, 0),  # a first build: everything filled
        (3, 0, 1, 0),  # built again, nothing new landed: the bookkeeping table is empty
        (0, 0, 1, 1),  # a raw table without rows fails
        (3, 0, 0, 1),  # an empty mart fails
    ],
)
def test_require_rows_skips_only_bookkeeping_relations(
    tmp_path, capsys, page_events, landed_now, marts, expected
):
    db = tmp_path / "uptake.duckdb"
    _database(db, page_events, landed_now, marts)
    assert cli.main(["summary", "--db", str(db), "--require-rows", "raw", "marts"]) == expected
    err = capsys.readouterr().err
    assert "_landed_now_page_events" not in err
    assert "rpt_landing_rejections" not in err
    if expected:
        assert "empty relations" in err
