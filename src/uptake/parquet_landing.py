"""Land the landing folders as all-text Parquet files, for engines other than DuckDB.

The raw tables of the DuckDB build come from the dbt-duckdb landing plugin
(:mod:`uptake.dbt_plugin`). Spark (and any engine that reads Parquet) gets the very same
rows from here: each landing folder is landed by the same :class:`uptake.landing.RawTable`
into a scratch DuckDB database, and that raw table is written out as Parquet, one folder
per raw table (``<out>/<table>/part-0.parquet``). The quirks of the exports (headers,
encodings, extra and unnamed columns, malformed records) are handled in one place,
:mod:`uptake.landing`, and the Parquet rows carry the same columns and lineage
(``_source_file``, ``_source_line``, ``_file_stem``, ``_extra_columns``, ``_load_error``,
``_raw_record``) as the DuckDB raw tables: all text but ``_source_line`` (bigint).

The landing audit's two tables come along (``<out>/_landed_files/``, one row per file
landed, and ``<out>/_files_not_landed/``, one row per other file of a landing folder
with the reason), with the columns the dbt plugin gives them on DuckDB.

Which folder becomes which raw table is read from the landing sources
(``models/staging/landing/_landing__sources.yml``, meta ``landing_folder`` and
``raw_table``), the same declaration the DuckDB hook reads. Every run writes every file
again (no manifest): the staging models of the Spark target take only the files they
have not staged yet, by ``_source_file``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from uptake.landing import (
    MANIFEST_COLUMNS,
    NOT_LANDED_COLUMNS,
    SPECS,
    FileReport,
    RawTable,
    quote_identifier,
    skipped_files,
)

SOURCES_YML = Path("models") / "staging" / "landing" / "_landing__sources.yml"


def landing_tables(project_dir: Path | str = ".") -> dict[str, str]:
    """{landing folder: raw table name without its schema} of the landing sources."""
    document = yaml.safe_load((Path(project_dir) / SOURCES_YML).read_text(encoding="utf-8"))
    tables = {}
    for source in document["sources"]:
        for table in source.get("tables", []):
            meta = (table.get("config") or {}).get("meta") or {}
            if "landing_folder" in meta and "raw_table" in meta:
                tables[meta["landing_folder"]] = meta["raw_table"].split(".")[-1]
    unknown = set(tables) - set(SPECS)
    if unknown:
        raise ValueError(f"{SOURCES_YML}: landing folders without a spec: {sorted(unknown)}")
    return tables


def land_parquet(
    raw_dir: Path | str, out_dir: Path | str, tables: dict[str, str]
) -> dict[str, tuple[int, list[FileReport]]]:
    """Write each landing folder's raw rows to ``out_dir/<table>/part-0.parquet``
    (replacing what was there); return {table: (rows, file reports)}. A folder that is
    missing or empty gives an empty Parquet file with the raw columns."""
    raw_path = Path(raw_dir).expanduser().resolve()
    out_path = Path(out_dir).expanduser().resolve()
    out_path.mkdir(parents=True, exist_ok=True)
    landed = {}
    landed_at = datetime.now(UTC).replace(tzinfo=None)
    manifest: list[tuple] = []
    not_landed: list[tuple] = []
    with tempfile.TemporaryDirectory(prefix="uptake_parquet_landing_") as scratch:
        for folder, table in tables.items():
            for path, reason in skipped_files(raw_path, SPECS[folder]):
                relative = path.relative_to(raw_path).as_posix()
                size = path.stat().st_size
                not_landed.append((folder, str(raw_path), relative, reason, size, landed_at))
            with duckdb.connect(str(Path(scratch) / f"{table}.duckdb")) as conn:
                conn.execute("create schema raw")
                raw_table = RawTable(conn, f"raw.{table}", folder)
                raw_table.create()
                reports = raw_table.land(raw_path)
                folder_out = out_path / table
                staged = out_path / f".{table}.new"
                shutil.rmtree(staged, ignore_errors=True)
                staged.mkdir()
                file_sql = (staged / "part-0.parquet").as_posix().replace("'", "''")
                conn.execute(
                    f"copy (select * from {raw_table.sql_name} order by "
                    f"{quote_identifier('_source_file')}, {quote_identifier('_source_line')}) "
                    f"to '{file_sql}' (format parquet)"
                )
            shutil.rmtree(folder_out, ignore_errors=True)
            staged.rename(folder_out)
            landed[table] = (raw_table.rows, reports)
            for report in reports:
                stat = (raw_path / report.path).stat()
                manifest.append(
                    (folder, str(raw_path), report.path, stat.st_size, stat.st_mtime_ns)
                    + (report.records, landed_at)
                )
        _write_table(out_path, "_landed_files", MANIFEST_COLUMNS, manifest)
        _write_table(out_path, "_files_not_landed", NOT_LANDED_COLUMNS, not_landed)
    return landed


def _write_table(
    out_path: Path, table: str, columns: tuple[tuple[str, str], ...], rows: list[tuple]
) -> None:
    """``rows`` as ``out_path/<table>/part-0.parquet``, typed as ``columns`` says."""
    folder_out = out_path / table
    staged = out_path / f".{table}.new"
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir()
    file_sql = (staged / "part-0.parquet").as_posix().replace("'", "''")
    with duckdb.connect() as conn:
        ddl = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in columns)
        conn.execute(f"create table t ({ddl})")
        if rows:
            marks = ", ".join("?" for _ in columns)
            conn.executemany(f"insert into t values ({marks})", rows)
        conn.execute(f"copy t to '{file_sql}' (format parquet)")
    shutil.rmtree(folder_out, ignore_errors=True)
    staged.rename(folder_out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw-dir", required=True, help="the landing folders (share_view/, users/, ...)"
    )
    parser.add_argument("--out", required=True, help="folder for <table>/part-0.parquet")
    parser.add_argument("--project-dir", default=".", help="the dbt project (default: here)")


def run(args: argparse.Namespace) -> int:
    landed = land_parquet(args.raw_dir, args.out, landing_tables(args.project_dir))
    for table, (rows, reports) in landed.items():
        for report in reports:
            for message in report.warnings():
                print(f"warning: {message}")
        print(f"raw.{table}: {rows:,} rows from {len(reports)} file(s)")
    return 0
