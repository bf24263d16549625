"""Land the landing folders as all-text Parquet files, for engines other than DuckDB.

The raw tables of the DuckDB build come from the dbt-duckdb landing plugin
(:mod:`uptake.dbt_plugin`). Spark (and any engine that reads Parquet) gets the very same
rows from here: each landing folder is landed by the same :class:`uptake.landing.RawTable`
into a scratch DuckDB database, and that raw table is written out as Parquet, one folder
per raw table (``<out>/<table>/part-<stamp>.parquet``). The quirks of the exports (headers,
encodings, extra and unnamed columns, malformed records) are handled in one place,
:mod:`uptake.landing`, and the Parquet rows carry the same columns and lineage
(``_source_file``, ``_source_line``, ``_file_stem``, ``_extra_columns``, ``_load_error``,
``_raw_record``) as the DuckDB raw tables: all text but ``_source_line`` (bigint).

The landing audit's two tables come along (``<out>/_landed_files/``, one row per file
landed, and ``<out>/_files_not_landed/``, one row per other file of a landing folder
with the reason), with the columns the dbt plugin gives them on DuckDB.

Which folder becomes which raw table is read from the landing sources
(``models/staging/landing/_landing__sources.yml``, meta ``landing_folder`` and
``raw_table``), the same declaration the DuckDB hook reads.

Landing is append-only by file, as the dbt plugin's on DuckDB: ``_landed_files`` is the
manifest (path, size, modification time of every file landed so far), and each run lands
only the files not in it, as one more Parquet part per raw table
(``<table>/part-<stamp>.parquet``, the stamp the run's ``landed_at``). A landed file
that changed since, or another landing folder, is refused with what to do;
``--full-refresh`` lands every file again. The staging models of the Spark target take
only the files they have not staged yet, by ``_source_file``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
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
    folder_changes,
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


class LandingError(Exception):
    """A landing that cannot be appended to (the message says what to do)."""


PART_PATTERN = re.compile(r"part-(\d{8}T\d{12})\.parquet")


def _stamp(landed_at: datetime) -> str:
    """The name part of the files landed at ``landed_at`` (``part-<stamp>.parquet``)."""
    return landed_at.strftime("%Y%m%dT%H%M%S%f")


def _read_manifest(out_path: Path) -> list[tuple]:
    """The rows of ``out_path/_landed_files`` (empty when there is none yet)."""
    folder = out_path / "_landed_files"
    if not any(folder.glob("*.parquet")):
        return []
    names = ", ".join(quote_identifier(name) for name, _ in MANIFEST_COLUMNS)
    with duckdb.connect() as conn:
        glob = (folder / "*.parquet").as_posix().replace("'", "''")
        return conn.execute(f"select {names} from read_parquet('{glob}')").fetchall()


def _landed_parts(folder_out: Path) -> dict[str, Path]:
    """{stamp: file} of the Parquet parts of one raw table folder; a file of another
    name (an earlier layout) under the stamp ``""``."""
    parts = {}
    for path in sorted(folder_out.glob("*.parquet")):
        match = PART_PATTERN.fullmatch(path.name)
        parts[match.group(1) if match else ""] = path
    return parts


def _files_to_land(
    folder: str, raw_path: Path, table: str, landed: dict[str, tuple]
) -> tuple[list[Path], list[str]]:
    """The files of the folder not landed yet, and the warnings of this run (landed
    files gone from the folder). A landed file that changed since, or another landing
    folder than the one landed from, raises :class:`LandingError`."""
    changes = folder_changes(raw_path, SPECS[folder], landed)
    remedy = "`uptake land-parquet --full-refresh` (and `dbt build --target spark --full-refresh`)"
    refusal = changes.refusal(raw_path / folder, f"raw.{table}", remedy)
    if refusal:
        raise LandingError(refusal)
    gone = changes.gone_warning(raw_path / folder, f"raw.{table}", remedy)
    return changes.new, [gone] if gone else []


def land_parquet(
    raw_dir: Path | str,
    out_dir: Path | str,
    tables: dict[str, str],
    full_refresh: bool = False,
    warn: Callable[[str], None] = print,
) -> dict[str, tuple[int, list[FileReport]]]:
    """Land the files of each landing folder not landed yet as one new Parquet part,
    ``out_dir/<table>/part-<stamp>.parquet``, and record them in ``out_dir/_landed_files``
    (path, size, modification time, records: appended, as the DuckDB plugin's manifest);
    return {table: (rows landed now, reports of the files landed now)}.

    Append-only by file, as on DuckDB: a landed file that changed since, or another
    landing folder, stops the landing with a :class:`LandingError` before anything is
    written; ``full_refresh`` (or a raw table folder that is missing) lands every file
    again. A part that a run wrote but did not record (a run stopped between the two)
    is removed by the next run, which lands its files again. ``_files_not_landed`` is
    replaced by this run's. A folder that is missing or empty gives an empty Parquet
    file with the raw columns."""
    raw_path = Path(raw_dir).expanduser().resolve()
    out_path = Path(out_dir).expanduser().resolve()
    out_path.mkdir(parents=True, exist_ok=True)
    landed_at = datetime.now(UTC).replace(tzinfo=None)
    stamp = _stamp(landed_at)
    manifest = [] if full_refresh else _read_manifest(out_path)
    kept: dict[str, dict[str, tuple]] = {}
    for folder, table in tables.items():
        parts = _landed_parts(out_path / table)
        recorded = {_stamp(row[6]) for row in manifest if row[0] == folder}
        if full_refresh or "" in parts or not recorded <= set(parts):
            kept[folder] = {}  # the raw table's parts are gone or not ours: land again
        else:
            kept[folder] = {
                row[2]: (row[3], row[4], row[1]) for row in manifest if row[0] == folder
            }
    # Decide everything before writing anything: a refused file leaves the landing as it was.
    to_land = {}
    for folder, table in tables.items():
        to_land[folder], messages = _files_to_land(folder, raw_path, table, kept[folder])
        for message in messages:
            warn(f"warning: {message}")
    landed = {}
    new_manifest = [row for row in manifest if row[2] in kept.get(row[0], {})]
    not_landed: list[tuple] = []
    with tempfile.TemporaryDirectory(prefix="uptake_parquet_landing_") as scratch:
        for folder, table in tables.items():
            for path, reason in skipped_files(raw_path, SPECS[folder]):
                relative = path.relative_to(raw_path).as_posix()
                size = path.stat().st_size
                not_landed.append((folder, str(raw_path), relative, reason, size, landed_at))
            folder_out = out_path / table
            folder_out.mkdir(exist_ok=True)
            recorded = {_stamp(row[6]) for row in new_manifest if row[0] == folder}
            for part_stamp, part in _landed_parts(folder_out).items():
                if part_stamp not in recorded:
                    part.unlink()  # not recorded: landed again now
            reports = []
            rows = 0
            if to_land[folder] or not any(folder_out.glob("*.parquet")):
                rows, reports = _write_part(
                    Path(scratch), raw_path, folder, table, to_land[folder], folder_out, stamp
                )
            landed[table] = (rows, reports)
            for report in reports:
                stat = (raw_path / report.path).stat()
                new_manifest.append(
                    (folder, str(raw_path), report.path, stat.st_size, stat.st_mtime_ns)
                    + (report.records, landed_at)
                )
        # Recorded last: a part written but not recorded is removed and landed again.
        _write_table(out_path, "_landed_files", MANIFEST_COLUMNS, new_manifest)
        _write_table(out_path, "_files_not_landed", NOT_LANDED_COLUMNS, not_landed)
    return landed


def _write_part(
    scratch: Path,
    raw_path: Path,
    folder: str,
    table: str,
    files: list[Path],
    folder_out: Path,
    stamp: str,
) -> tuple[int, list[FileReport]]:
    """Land ``files`` (may be none: an empty part with the raw columns) into
    ``folder_out/part-<stamp>.parquet``; return (rows, file reports)."""
    with duckdb.connect(str(scratch / f"{table}.duckdb")) as conn:
        conn.execute("create schema raw")
        raw_table = RawTable(conn, f"raw.{table}", folder)
        raw_table.create()
        reports = raw_table.land(raw_path, files) if files else []
        staged = folder_out / f".part-{stamp}.parquet"
        file_sql = staged.as_posix().replace("'", "''")
        conn.execute(
            f"copy (select * from {raw_table.sql_name} order by "
            f"{quote_identifier('_source_file')}, {quote_identifier('_source_line')}) "
            f"to '{file_sql}' (format parquet)"
        )
    staged.rename(folder_out / f"part-{stamp}.parquet")
    return raw_table.rows, reports


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
    parser.add_argument("--out", required=True, help="folder for <table>/part-*.parquet")
    parser.add_argument("--project-dir", default=".", help="the dbt project (default: here)")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="land every file again (the files landed before are forgotten)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        landed = land_parquet(
            args.raw_dir, args.out, landing_tables(args.project_dir), args.full_refresh
        )
    except LandingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for table, (rows, reports) in landed.items():
        for report in reports:
            for message in report.warnings():
                print(f"warning: {message}")
        print(f"raw.{table}: {rows:,} rows from {len(reports)} new file(s)")
    return 0
