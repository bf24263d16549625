"""The published file: what readers (BI tools, `uptake report`, `uptake serve`) open.

`dbt build` writes the build file (`target/uptake.duckdb`) and holds DuckDB's write lock on
it while it runs, so a reader of that file would block the build, and could see a
half-built state. Readers open the published file instead (`target/published.duckdb`,
moved by UPTAKE_PUBLISHED_PATH): `uptake publish`, run by scripts/build.sh after a
successful build, copies every relation of schema ``marts`` of the build file into a new
file beside it and then renames it over the published one. The rename is atomic, so a
reader sees the last complete build or the one before, never a mixture, and a reader that
holds the old file open keeps reading it (POSIX keeps a renamed-over file alive for the
processes that have it open) while new connections get the new one.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path

from uptake import build_lock

DEFAULT_PUBLISHED_PATH = "target/published.duckdb"
PUBLISHED_SCHEMAS = ("marts",)
# One row per publish: when, from which build file, how many relations and rows.
PUBLISH_LOG = "_published"


def published_path() -> Path:
    return Path(os.environ.get("UPTAKE_PUBLISHED_PATH", DEFAULT_PUBLISHED_PATH))


def connect_published(path: Path | None = None):
    """A read-only connection to the published file (never the build file)."""
    import duckdb

    path = path or published_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"no published file at {path}: run scripts/build.sh (it publishes the marts "
            "of a successful build with `uptake publish`)"
        )
    return duckdb.connect(str(path), read_only=True)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish(build_path: Path, out: Path) -> dict[str, int]:
    """Copies the published schemas of ``build_path`` into ``out`` atomically; returns the
    rows of each relation copied (``schema.name``)."""
    import duckdb

    if not build_path.is_file():
        raise FileNotFoundError(f"no build file at {build_path}: run dbt build first")
    out.parent.mkdir(parents=True, exist_ok=True)
    # Beside the published file (same file system, so the rename is atomic), named for
    # this process so two publishers never write the same working file.
    working = out.with_name(f".{out.name}.{os.getpid()}.publishing")
    working.unlink(missing_ok=True)
    copied: dict[str, int] = {}
    # The build lock (uptake.build_lock): a build running on the build file stops this
    # publish with a message naming it, and no build starts while the marts are copied.
    try:
        with build_lock.held(build_path, "publish"), duckdb.connect(str(working)) as conn:
            # ATTACH takes no parameter: the path goes in as a quoted SQL string literal.
            literal = "'" + str(build_path).replace("'", "''") + "'"
            conn.execute(f"attach {literal} as build (read_only)")
            relations = conn.execute(
                """
                select table_schema, table_name
                from information_schema.tables
                where table_catalog = 'build' and table_schema in (select unnest(?::varchar[]))
                order by 1, 2
                """,
                [list(PUBLISHED_SCHEMAS)],
            ).fetchall()
            if not relations:
                raise RuntimeError(
                    f"{build_path} has no relation in schema(s) {', '.join(PUBLISHED_SCHEMAS)}:"
                    " nothing to publish (did the build run?)"
                )
            for schema in sorted({schema for schema, _ in relations}):
                conn.execute(f"create schema {_quoted(schema)}")
            for schema, name in relations:
                target = f"{_quoted(schema)}.{_quoted(name)}"
                # Views become tables: the published file stands alone.
                conn.execute(f"create table {target} as select * from build.{target}")
                copied[f"{schema}.{name}"] = conn.execute(
                    f"select count(*) from {target}"
                ).fetchone()[0]
            conn.execute(
                f"create table {PUBLISH_LOG} as select ? as published_at, ? as build_file, "
                "? as relations, ? as total_rows",
                [
                    datetime.now(UTC).replace(tzinfo=None),
                    str(build_path.resolve()),
                    len(copied),
                    sum(copied.values()),
                ],
            )
            conn.execute("detach build")
            conn.execute("checkpoint")
        with open(working, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(working, out)
    finally:
        working.unlink(missing_ok=True)
        Path(f"{working}.wal").unlink(missing_ok=True)
    return copied


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="build file to publish (default: $UPTAKE_DB_PATH or target/uptake.duckdb)"
    )
    parser.add_argument(
        "--out",
        help=f"published file (default: $UPTAKE_PUBLISHED_PATH or {DEFAULT_PUBLISHED_PATH})",
    )


def run(args: argparse.Namespace) -> int:
    from uptake.cli import db_path

    build = Path(args.db) if args.db else db_path()
    out = Path(args.out) if args.out else published_path()
    copied = publish(build, out)
    print(f"published {len(copied)} relations ({sum(copied.values()):,} rows) to {out}")
    return 0
