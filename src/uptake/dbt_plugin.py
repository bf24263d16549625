"""dbt-duckdb source plugin: lands new files of the landing folders in the raw tables.

Landing is append-only by file. The on-run-start hook (macros/utils/land_sources.sql)
resolves one ``landing`` source per landing folder; resolving it calls :meth:`Plugin.load`,
which

- compares the folder's data files with the manifest ``raw._landed_files`` (path, size,
  modification time of every file landed so far);
- lands only the files not landed yet in the raw table named in meta ``raw_table``
  (created on first use; :class:`uptake.landing.RawTable`) and records them in the
  manifest, in one transaction: a Parquet file with one ``insert ... select`` from
  ``read_parquet`` on this database, a CSV file as one insert of a stream of batches
  (memory does not grow with the file; one whose fast path falls back has its rows
  deleted again and is read by the tolerant reader, batch by batch);
- refuses, with a message saying what to do, a landed file that changed since, or a
  landing folder other than the one the raw table was landed from: both need
  ``dbt build --full-refresh``, which makes the hook drop the raw tables and the manifest
  first, so that every file is read again;
- replaces the folder's rows of ``raw._files_not_landed`` with the files of the folder
  that this run did not land (not a data file, a hidden or lock file), each with the
  reason, and names them in the log: the landing audit (``stg_landing__files``,
  ``rpt_landing_files``) lists them beside the landed files;
- returns one row per file landed by this run, which dbt-duckdb stores as the source's
  own table (``raw._landed_now_<folder>``).

Before DuckDB opens the file, the plugin takes the build lock (:mod:`uptake.build_lock`):
a second build of the same file stops at once, saying which build runs.

On another engine the raw tables are plain warehouse tables and this module is not used.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from dbt.adapters.events.logging import AdapterLogger
from dbt_common.exceptions import DbtRuntimeError

from uptake import build_lock
from uptake.landing import (
    MANIFEST_COLUMNS,
    NOT_LANDED_COLUMNS,
    SPECS,
    RawTable,
    folder_changes,
    skipped_files,
)

logger = AdapterLogger("uptake")

MANIFEST = "raw._landed_files"
NOT_LANDED = "raw._files_not_landed"


def _ddl(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    return f"create table if not exists {table} ({', '.join(f'{n} {t}' for n, t in columns)})"


_BATCH_SCHEMA = pa.schema(
    [
        ("landing_folder", pa.string()),
        ("file_path", pa.string()),
        ("record_count", pa.int64()),
        ("landed_at", pa.timestamp("us")),
    ]
)


class LandingError(DbtRuntimeError):
    """A landing folder that cannot be appended to the raw tables as it is, or a
    database it cannot land in: dbt prints the message, without a stack trace."""


class Plugin(BasePlugin):
    _max_temp_size: str | None = None  # the profile's max_temp_directory_size

    def update_connection_config(self, creds, config) -> None:
        # Called before DuckDB opens the file: a second build stops here, naming the
        # build that runs, instead of failing on DuckDB's lock (uptake.build_lock).
        # A local file: not :memory:, nor MotherDuck's md:..., nor a URL.
        if creds.path and not re.match(r"^(:memory:|[a-zA-Z][\w+.-]*:)", creds.path):
            try:
                build_lock.acquire(creds.path)
            except build_lock.BuildLocked as error:
                raise LandingError(str(error)) from None
        # DuckDB 1.5 shows max_temp_directory_size given when the file is opened, but
        # enforces it only once SET: configure_connection sets it again.
        self._max_temp_size = config.get("max_temp_directory_size")

    def configure_connection(self, conn) -> None:
        (catalog,) = conn.execute("select current_database()").fetchone()
        if "'" in catalog:
            # dbt-duckdb writes the catalog name (the file's name) into its own catalog
            # queries inside a string literal, unescaped: a quote there is a syntax error.
            raise LandingError(
                f"the DuckDB file is named {catalog!r}: dbt-duckdb cannot work with a "
                "single quote in the database file's name; rename the file (or set "
                "UPTAKE_DB_PATH to a name without one)"
            )
        if self._max_temp_size:
            literal = "'" + str(self._max_temp_size).replace("'", "''") + "'"
            conn.execute(f"set max_temp_directory_size = {literal}")
        # Created once up front: two threads creating them on first load would conflict.
        conn.execute("create schema if not exists raw")
        conn.execute(_ddl(MANIFEST, MANIFEST_COLUMNS))
        conn.execute(_ddl(NOT_LANDED, NOT_LANDED_COLUMNS))
        self._conn = conn

    def load(self, source_config: SourceConfig) -> pa.Table:
        folder = source_config.get("landing_folder")
        raw_dir = source_config.get("raw_dir")
        raw_table = source_config.get("raw_table")
        if folder not in SPECS or not raw_dir or not raw_table:
            raise LandingError(
                f"source {source_config.name}.{source_config.identifier}: meta needs "
                f"landing_folder (one of {', '.join(SPECS)}), raw_dir and raw_table; got "
                f"landing_folder={folder!r}, raw_dir={raw_dir!r}, raw_table={raw_table!r}"
            )
        # dbt-duckdb stores the returned table as <database>.<schema>.<identifier>, not
        # quoted, which a catalog named like its file breaks (my-db.duckdb: "my-db"); in
        # the connection's own catalog the name needs no database part.
        cursor = self._conn.cursor()
        try:
            (catalog,) = cursor.execute("select current_database()").fetchone()
        finally:
            cursor.close()
        if source_config.database == catalog:
            source_config.database = None
        return self._land(folder, Path(raw_dir).expanduser().resolve(), raw_table)

    def _land(self, folder: str, raw_path: Path, raw_table: str) -> pa.Table:
        cursor = self._conn.cursor()
        try:
            landed = {
                row[0]: row[1:]
                for row in cursor.execute(
                    f"select file_path, size_bytes, modified_ns, raw_dir from {MANIFEST} "
                    "where landing_folder = ?",
                    [folder],
                ).fetchall()
            }
            target = RawTable(cursor, raw_table, folder)
            exists = target.exists()
            if not exists:
                landed = {}  # the raw table was dropped: every file lands again
            new_files = self._new_files(folder, raw_path, raw_table, landed)
            not_landed = self._not_landed(folder, raw_path)
            cursor.execute("begin transaction")
            if not exists:
                # Manifest rows of a dropped raw table are stale.
                cursor.execute(f"delete from {MANIFEST} where landing_folder = ?", [folder])
                target.create()
            reports = target.land(raw_path, new_files)
            landed_at = datetime.now(UTC).replace(tzinfo=None)
            batch = pa.table(
                {
                    "landing_folder": [folder] * len(reports),
                    "file_path": [r.path for r in reports],
                    "record_count": [r.records for r in reports],
                    "landed_at": [landed_at] * len(reports),
                },
                schema=_BATCH_SCHEMA,
            )
            records = {r.path: r.records for r in reports}
            for path in new_files:
                stat = path.stat()
                relative = path.relative_to(raw_path).as_posix()
                cursor.execute(
                    f"insert into {MANIFEST} values (?, ?, ?, ?, ?, ?, ?)",
                    [
                        folder,
                        str(raw_path),
                        relative,
                        stat.st_size,
                        stat.st_mtime_ns,
                        records[relative],
                        landed_at,
                    ],
                )
            cursor.execute(f"delete from {NOT_LANDED} where landing_folder = ?", [folder])
            for relative, reason, size in not_landed:
                cursor.execute(
                    f"insert into {NOT_LANDED} values (?, ?, ?, ?, ?, ?)",
                    [folder, str(raw_path), relative, reason, size, landed_at],
                )
            cursor.execute("commit")
        except BaseException:
            with contextlib.suppress(Exception):  # none open, or already rolled back
                cursor.execute("rollback")
            raise
        finally:
            cursor.close()
        for report in reports:
            for message in report.warnings():
                logger.warning(message)
            if report.fallback:
                logger.info(f"{report.path}: tolerant reader ({report.fallback})")
        logger.info(
            f"landed {target.rows} rows from {len(reports)} new file(s) of {folder} "
            f"({len(landed)} file(s) landed before)"
        )
        return batch

    @staticmethod
    def _not_landed(folder: str, raw_path: Path) -> list[tuple[str, str, int]]:
        """The other files of the folder: (relative path, why not landed, size), each
        named in the log."""
        found = []
        for path, reason in skipped_files(raw_path, SPECS[folder]):
            relative = path.relative_to(raw_path).as_posix()
            logger.warning(f"not landed: {relative}: {reason}")
            found.append((relative, reason, path.stat().st_size))
        return found

    @staticmethod
    def _new_files(
        folder: str, raw_path: Path, raw_table: str, landed: dict[str, tuple]
    ) -> list[Path]:
        changes = folder_changes(raw_path, SPECS[folder], landed)
        if not changes.new and not landed:
            logger.warning(
                f"landing folder {raw_path / folder} is missing or holds no CSV/Parquet "
                f"file: {raw_table} and its staging models are empty"
            )
        refusal = changes.refusal(raw_path / folder, raw_table, "`dbt build --full-refresh`")
        if refusal:
            back = " (or point raw_dir / UPTAKE_RAW_DIR back)" if changes.other_dirs else ""
            raise LandingError(refusal + back)
        gone = changes.gone_warning(raw_path / folder, raw_table, "`dbt build --full-refresh`")
        if gone:
            logger.warning(gone)
        return changes.new
