"""dbt-duckdb source plugin: materialises the landing folders as raw tables.

A source whose config meta names ``plugin: landing`` is loaded by :class:`Plugin` when it
is resolved and its table is missing (``save_mode: ignore``; the on-run-start hook drops
and reloads every such table once per run): the files of ``<raw_dir>/<landing_folder>``
are read by :func:`uptake.landing.load_folder` and written to ``raw.<table>``. On another engine the
same sources are plain warehouse tables and this module is not used.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from dbt.adapters.events.logging import AdapterLogger

from uptake.landing import SPECS, load_folder

logger = AdapterLogger("uptake")


class LandingConfigError(Exception):
    """A source that names the plugin but not what to read."""


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        # Created once up front: two threads creating it on first load would conflict.
        conn.execute("create schema if not exists raw")

    def load(self, source_config: SourceConfig) -> pa.Table:
        folder = source_config.get("landing_folder")
        raw_dir = source_config.get("raw_dir")
        if folder not in SPECS or not raw_dir:
            raise LandingConfigError(
                f"source {source_config.name}.{source_config.identifier}: meta needs "
                f"landing_folder (one of {', '.join(SPECS)}) and raw_dir; got "
                f"landing_folder={folder!r}, raw_dir={raw_dir!r}"
            )
        return self._read(folder, Path(raw_dir).expanduser().resolve())

    @staticmethod
    def _read(folder: str, raw_path: Path) -> pa.Table:
        table, reports = load_folder(raw_path, folder)
        if not reports:
            logger.warning(
                f"landing folder {raw_path / folder} is missing or holds no CSV/Parquet "
                f"file: raw.{folder} and its staging models are empty"
            )
        for report in reports:
            for message in report.warnings():
                logger.warning(message)
        logger.info(f"landed {table.num_rows} rows from {len(reports)} file(s) of {folder}")
        return table
