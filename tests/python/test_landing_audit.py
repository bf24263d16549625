"""No file is skipped in silence: every file of a landing folder that a run does not land
(another extension, a hidden or lock file) is in the landing audit with the reason, as
well as in the log, and so is a landed file with no records. The same build stages
numbers at their extremes (found by the generated exports of test_fuzz_landing.py):
they are staged or rejected with a reason, never a failed build."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import duckdb
from conftest import FIXTURES, PROJECT_DIR, query, run_dbt

SELECTED = ["--select", "resource_type:seed", "+rpt_landing_files", "+rpt_landing_rejections"]
USERS_HEADER = (
    "object_id,creation_time,name,email,creation_source,last_session_creation_time,"
    "opted_in_to_mailing_list,enabled_for_marketing_drip,org_id,invited_by_user_id\n"
)
# Unix seconds past 32 bits and at the ends of years 1 to 9999 (staged); past those
# ends, inf and nan (rejected); an inviting id too large for 64 bits, inf or nan.
EXTREME_USERS = USERS_HEADER + "".join(
    f"{object_id},2014-04-22 03:53:30,A,a@b.com,X,{seconds},1,0,11,{invited_by}\n"
    for object_id, seconds, invited_by in [
        (101, -2147483649, ""),
        (102, 253402300799, "10803.0"),
        (103, -62135596800, ""),
        (104, 253402300800, ""),
        (105, "1e309", ""),
        (106, "NaN", ""),
        (107, 1, "1e308"),
        (108, 1, "inf"),
        (109, 1, "NaN"),
    ]
)
EXTREME_VIEWS = (
    "Activity Type,User ID,Title of Content,Time Spent in Seconds,Last Activity Date,"
    "Last Activity Time\n"
    + "".join(f"VIEW,5001,T,{spent},22-Aug-2017,9:01:02\n" for spent in ("1e309", "NaN", "-inf"))
)
OUT_OF_RANGE = "last_session_creation_time is out of range (years 1 to 9999)"
NOT_FINITE = "Time Spent in Seconds is not a finite number below 1e15"
EXTREMES_REJECTED = {
    ("users/extremes.csv", 5): OUT_OF_RANGE,
    ("users/extremes.csv", 6): OUT_OF_RANGE,
    ("users/extremes.csv", 7): OUT_OF_RANGE,
    ("users/extremes.csv", 8): "invited_by_user_id is not an integer",
    ("users/extremes.csv", 9): "invited_by_user_id is not an integer",
    ("users/extremes.csv", 10): "invited_by_user_id is not an integer",
    ("share_view/EX.csv", 2): NOT_FINITE,
    ("share_view/EX.csv", 3): NOT_FINITE,
    ("share_view/EX.csv", 4): "Time Spent in Seconds is negative",
}


def audit(db) -> dict[str, tuple]:
    return {
        file: tuple(row)
        for file, *row in query(
            db,
            "select source_file, is_landed, not_landed_reason, raw_rows from "
            "marts.rpt_landing_files",
        )
    }


def test_files_not_landed_are_in_the_audit_with_their_reason(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES, raw)
    (raw / "logins" / "notes.xlsx").write_bytes(b"PK\x03\x04 not a CSV")
    (raw / "logins" / ".~lock.logins.csv#").write_text("someone,host,1234")
    (raw / "logins" / "empty.csv").write_bytes(b"")
    (raw / "users" / "old").mkdir()
    (raw / "users" / "old" / "users.csv.bak").write_text("object_id\n1\n")
    (raw / "users" / "extremes.csv").write_text(EXTREME_USERS)
    (raw / "share_view" / "EX.csv").write_text(EXTREME_VIEWS)
    db = tmp_path / "audit.duckdb"
    first = run_dbt(["build", *SELECTED], raw, db)
    assert first.returncode == 0, first.stdout[-5000:]

    files = audit(db)
    for path, reason in [
        ("logins/notes.xlsx", "not a data file"),
        ("logins/.~lock.logins.csv#", "hidden file"),
        ("users/old/users.csv.bak", "not a data file"),
    ]:
        is_landed, not_landed_reason, raw_rows = files[path]
        assert not is_landed and not_landed_reason.startswith(reason) and raw_rows == 0
        assert f"not landed: {path}: {not_landed_reason}" in first.stdout
    # Landed with no records: in the audit too, with zero rows.
    assert files["logins/empty.csv"] == (True, None, 0)
    assert files["page_events/page_events_empty.csv"] == (True, None, 0)
    landed = {path for path, (is_landed, *_) in files.items() if is_landed}
    manifest = {path for (path,) in query(db, "select file_path from raw._landed_files")}
    assert landed == manifest

    rejected = dict(
        ((file, line), reason)
        for file, line, reason in query(
            db,
            "select source_file, source_line, rejection_reason "
            "from staging.stg_landing__rejected_rows",
        )
    )
    for (file, line), reason in EXTREMES_REJECTED.items():
        assert rejected.get((file, line)) == reason, (file, line)
    staged = dict(
        query(
            db,
            "select user_id, last_session_at from staging.stg_product__users "
            "where source_file = 'users/extremes.csv'",
        )
    )
    epoch = datetime(1970, 1, 1)
    assert staged == {
        101: epoch + timedelta(seconds=-2147483649),
        102: epoch + timedelta(seconds=253402300799),
        103: epoch + timedelta(seconds=-62135596800),
    }

    # The next run lists what it sees: a file taken away leaves the audit, a new one
    # comes in.
    (raw / "logins" / "notes.xlsx").unlink()
    (raw / "page_events" / "events.json").write_text("{}")
    second = run_dbt(["build", *SELECTED], raw, db)
    assert second.returncode == 0, second.stdout[-5000:]
    not_landed = {path for path, (is_landed, *_) in audit(db).items() if not is_landed}
    assert not_landed == {
        "logins/.~lock.logins.csv#",
        "users/old/users.csv.bak",
        "page_events/events.json",
    }


def test_land_parquet_writes_the_audit_tables_for_other_engines(tmp_path):
    """Spark's landing (`uptake land-parquet`) writes the same two bookkeeping tables,
    which the Spark hook makes raw._landed_files and raw._files_not_landed."""
    from uptake.parquet_landing import land_parquet, landing_tables

    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES, raw)
    (raw / "logins" / "notes.xlsx").write_bytes(b"x")
    out = tmp_path / "parquet"
    landed = land_parquet(raw, out, landing_tables(PROJECT_DIR))
    with duckdb.connect() as conn:
        manifest = conn.execute(
            f"select file_path, record_count from '{out}/_landed_files/*.parquet'"
        ).fetchall()
        not_landed = conn.execute(
            f"select file_path, reason from '{out}/_files_not_landed/*.parquet'"
        ).fetchall()
    expected = {r.path: r.records for _, reports in landed.values() for r in reports}
    assert dict(manifest) == expected and "logins/logins.csv" in expected
    assert [path for path, _ in not_landed] == ["logins/notes.xlsx"]
    assert not_landed[0][1].startswith("not a data file")


def _parquet_rows(out, table: str, sql: str = "count(*)") -> list[tuple]:
    with duckdb.connect() as conn:
        return conn.execute(f"select {sql} from '{out}/{table}/*.parquet'").fetchall()


def test_land_parquet_lands_new_files_only_and_refuses_a_changed_one(tmp_path, capsys):
    """`uptake land-parquet` is append-only by file, as the DuckDB plugin: a second run
    lands the new file alone (one more part), keeps the manifest of the first (its
    landed_at), refuses a landed file that changed without writing anything, and
    --full-refresh lands every file again. Counts from Python's csv module."""
    import csv

    import pytest

    from uptake import parquet_landing
    from uptake.parquet_landing import LandingError, land_parquet, landing_tables

    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES, raw)
    out = tmp_path / "parquet"
    tables = landing_tables(PROJECT_DIR)
    land_parquet(raw, out, tables)
    first_manifest = _parquet_rows(out, "_landed_files", "file_path, landed_at")
    (login_rows,) = _parquet_rows(out, "logins")[0]

    new_file = raw / "logins" / "logins_late.csv"
    new_file.write_text("user_id,time_stamp\n7,2014-04-23 10:00:00\n7,2014-04-20 09:00:00\n")
    with new_file.open(newline="") as handle:
        new_records = sum(1 for _ in csv.reader(handle)) - 1
    second = land_parquet(raw, out, tables)
    assert {table: len(reports) for table, (_, reports) in second.items() if reports} == {
        "logins": 1
    }
    manifest = _parquet_rows(out, "_landed_files", "file_path, landed_at")
    assert len(manifest) == len({path for path, _ in manifest}) == len(first_manifest) + 1
    assert set(first_manifest) <= set(manifest)
    assert _parquet_rows(out, "logins")[0][0] == login_rows + new_records
    assert len(list((out / "logins").glob("part-*.parquet"))) == 2
    assert _parquet_rows(out, "logins", "count(distinct _source_file)") == [
        (len([p for p in (raw / "logins").iterdir()]),)
    ]

    # A landed file that changed: refused, nothing written.
    before = sorted(p.name for p in out.rglob("*"))
    new_file.write_text(new_file.read_text() + "8,2014-04-24 10:00:00\n")
    with pytest.raises(LandingError, match="logins/logins_late.csv.*append-only"):
        land_parquet(raw, out, tables)
    assert sorted(p.name for p in out.rglob("*")) == before
    args = ["--raw-dir", str(raw), "--out", str(out), "--project-dir", str(PROJECT_DIR)]
    parser = __import__("argparse").ArgumentParser()
    parquet_landing.add_arguments(parser)
    assert parquet_landing.run(parser.parse_args(args)) == 1
    assert "--full-refresh" in capsys.readouterr().err

    # A part written but not recorded (a run stopped before its manifest) is landed again.
    land_parquet(raw, out, tables, full_refresh=True)
    (logins_now,) = _parquet_rows(out, "logins")[0]
    assert logins_now == login_rows + new_records + 1
    orphan = out / "logins" / "part-20990101T000000000000.parquet"
    shutil.copy(next((out / "logins").glob("part-*.parquet")), orphan)
    land_parquet(raw, out, tables)
    assert not orphan.exists()
    assert _parquet_rows(out, "logins")[0][0] == logins_now


def test_folder_changes_sets_a_folder_against_its_manifest(tmp_path):
    """What both landings (the DuckDB plugin, `uptake land-parquet`) refuse or warn of:
    a landed file changed or gone, another landing folder; only new files land."""
    from uptake.landing import SPECS, folder_changes

    folder = tmp_path / "logins"
    folder.mkdir()
    for name in ("a.csv", "b.csv", "c.csv"):
        (folder / name).write_text("user_id,time_stamp\n1,2014-04-22 03:53:30\n")
    stat = (folder / "a.csv").stat()
    same = (stat.st_size, stat.st_mtime_ns, str(tmp_path))
    landed = {"logins/a.csv": same, "logins/b.csv": same, "logins/old.csv": same}
    (folder / "b.csv").write_text("user_id,time_stamp\n2,2014-04-22 03:53:30\n3,x\n")
    changes = folder_changes(tmp_path, SPECS["logins"], landed)
    assert [p.name for p in changes.new] == ["c.csv"]
    assert (changes.changed, changes.gone, changes.other_dirs) == (
        ["logins/b.csv"],
        ["logins/old.csv"],
        [],
    )
    refusal = changes.refusal(folder, "raw.logins", "`x --full-refresh`")
    assert refusal.startswith(f"1 file(s) of {folder} changed after they were landed")
    assert "logins/b.csv" in refusal and "`x --full-refresh`" in refusal
    assert "logins/old.csv" in changes.gone_warning(folder, "raw.logins", "`x`")

    elsewhere = {"logins/a.csv": (*same[:2], "/other/landing")}
    moved = folder_changes(tmp_path, SPECS["logins"], elsewhere)
    assert moved.other_dirs == ["/other/landing"]
    assert "was landed from /other/landing" in moved.refusal(folder, "raw.logins", "`x`")
    fine = folder_changes(tmp_path, SPECS["logins"], {"logins/a.csv": same})
    assert fine.refusal(folder, "raw.logins", "`x`") is None
    assert fine.gone_warning(folder, "raw.logins", "`x`") is None
