"""No file is skipped in silence: every file of a landing folder that a run does not land
(another extension, a hidden or lock file) is in the landing audit with the reason, as
well as in the log, and so is a landed file with no records."""

from __future__ import annotations

import shutil

import duckdb
from conftest import FIXTURES, PROJECT_DIR, query, run_dbt

SELECTED = ["--select", "resource_type:seed", "+rpt_landing_files"]


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
