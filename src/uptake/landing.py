"""Read the landing folders of the contract into all-text raw tables.

Every record of every file becomes exactly one row, whatever the file looks like:

- header names are normalised (``, User ID`` -> ``user_id``); columns the contract does
  not name (``User OS Share``, unnamed trailing columns) are kept, as JSON, in
  ``_extra_columns``;
- each line is decoded as UTF-8, else as cp1252, else as Latin-1 (which never fails), so
  a legacy 8-bit byte in a title never loses its row;
- a record whose field count differs from its header's, or a file that lacks a column the
  contract requires, still lands, with ``_load_error`` saying why; staging sends it to the
  rejected rows;
- ``_source_file`` (relative to ``raw_dir``), ``_source_line`` (the physical line on which
  the record starts; for Parquet the 1-based row number plus one, as if a header line
  preceded it) and ``_file_stem`` say where a row came from.

Values stay text exactly as exported (no trimming, no typing): staging owns the cleaning.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

META_COLUMNS = ("_source_file", "_source_line", "_file_stem")
TRAILING_COLUMNS = ("_extra_columns", "_load_error", "_raw_record")


@dataclass(frozen=True)
class LandingSpec:
    """What the contract says about one landing folder."""

    folder: str
    columns: tuple[str, ...]
    required: tuple[str, ...]

    @property
    def output_columns(self) -> tuple[str, ...]:
        return META_COLUMNS + self.columns + TRAILING_COLUMNS


SPECS: dict[str, LandingSpec] = {
    "share_view": LandingSpec(
        folder="share_view",
        columns=(
            "activity_type",
            "user_id",
            "rm_id",
            "user_os",
            "viewing_app",
            "user_groups",
            "shared_date",
            "shared_time",
            "title_of_content",
            "share_channel",
            "viewed",
            "time_spent_in_seconds",
            "last_activity_date",
            "last_activity_time",
        ),
        required=("activity_type", "user_id", "last_activity_date", "last_activity_time"),
    ),
    "users": LandingSpec(
        folder="users",
        columns=(
            "object_id",
            "creation_time",
            "name",
            "email",
            "creation_source",
            "last_session_creation_time",
            "opted_in_to_mailing_list",
            "enabled_for_marketing_drip",
            "org_id",
            "invited_by_user_id",
        ),
        required=("object_id", "creation_time"),
    ),
    "logins": LandingSpec(
        folder="logins",
        columns=("time_stamp", "user_id", "visited"),
        required=("time_stamp", "user_id"),
    ),
    "page_events": LandingSpec(
        folder="page_events",
        columns=("ts", "user_id", "os", "browser", "plan", "page"),
        required=("ts", "user_id", "page"),
    ),
}

DATA_SUFFIXES = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}


def normalise_header(name: str) -> str:
    """Snake-case an exported header: ``' Time Spent in Seconds'`` -> ``time_spent_in_seconds``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def decode_line(raw: bytes) -> tuple[str, str]:
    """Decode one line of an export; return the text and the encoding that worked."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def decoded_lines(data: bytes) -> tuple[list[str], set[str]]:
    """Split a file into lines (line ends kept) and decode each one on its own."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8").splitlines(keepends=True), {"utf-8"}
    except UnicodeDecodeError:
        pass
    lines, encodings = [], set()
    for raw in data.splitlines(keepends=True):
        text, encoding = decode_line(raw)
        lines.append(text)
        encodings.add(encoding)
    return lines, encodings


@dataclass
class FileReport:
    """What reading one file found; the loader logs it and tests read it."""

    path: str
    records: int = 0
    encodings: tuple[str, ...] = ()
    missing_required: tuple[str, ...] = ()
    missing_optional: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    malformed_records: int = 0

    def warnings(self) -> list[str]:
        found = []
        if self.records == 0:
            found.append(f"{self.path}: no records")
        if self.missing_required:
            found.append(
                f"{self.path}: lacks required column(s) {', '.join(self.missing_required)}; "
                f"its {self.records} records go to the rejected rows"
            )
        if self.missing_optional:
            found.append(
                f"{self.path}: lacks column(s) {', '.join(self.missing_optional)}; "
                "they load as empty"
            )
        if self.malformed_records:
            found.append(
                f"{self.path}: {self.malformed_records} records with a field count unlike "
                "the header's go to the rejected rows"
            )
        return found


class _Columns:
    """Column-wise buffers of text for one output table."""

    def __init__(self, spec: LandingSpec) -> None:
        self.spec = spec
        self.data: dict[str, list] = {name: [] for name in spec.output_columns}

    def table(self) -> pa.Table:
        arrays = {
            name: pa.array(values, type=pa.int64() if name == "_source_line" else pa.string())
            for name, values in self.data.items()
        }
        return pa.table(arrays)


def _header_layout(
    spec: LandingSpec, header: list[str]
) -> tuple[dict[int, str], dict[int, str], tuple[str, ...], tuple[str, ...]]:
    """Map header positions to contract columns and to extra (kept-as-JSON) columns."""
    contract: dict[int, str] = {}
    extra: dict[int, str] = {}
    unnamed = 0
    for position, name in enumerate(header):
        column = normalise_header(name)
        if not column:
            unnamed += 1
            extra[position] = f"unnamed_{unnamed}"
        elif column in spec.columns and column not in contract.values():
            contract[position] = column
        else:
            key = column
            while key in extra.values():
                key += "_dup"
            extra[position] = key
    present = set(contract.values())
    missing_required = tuple(c for c in spec.required if c not in present)
    missing_optional = tuple(c for c in spec.columns if c not in present and c not in spec.required)
    return contract, extra, missing_required, missing_optional


def _extras_json(values: Iterable[tuple[str, object]]) -> str | None:
    kept = {key: value for key, value in values if value not in (None, "")}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else None


def _csv_records(lines: list[str]) -> Iterator[tuple[int, list[str], str]]:
    """Yield (first line number, fields, record text) for each non-blank CSV record."""
    reader = csv.reader(lines, strict=False)
    line_after_previous = 1
    for fields in reader:
        first_line = line_after_previous
        line_after_previous = reader.line_num + 1
        if not fields or all(field.strip() == "" for field in fields) and len(fields) <= 1:
            continue
        text = "".join(lines[first_line - 1 : reader.line_num]).rstrip("\r\n")
        yield first_line, fields, text


def read_csv_file(spec: LandingSpec, path: Path, raw_dir: Path, out: _Columns) -> FileReport:
    relative = path.relative_to(raw_dir).as_posix()
    lines, encodings = decoded_lines(path.read_bytes())
    report = FileReport(path=relative, encodings=tuple(sorted(encodings)))
    records = _csv_records(lines)
    first = next(records, None)
    if first is None:
        return report
    _, header, _ = first
    contract, extra, missing_required, missing_optional = _header_layout(spec, header)
    report.missing_required, report.missing_optional = missing_required, missing_optional
    report.extra_columns = tuple(extra.values())
    file_error = (
        f"file lacks required column(s): {', '.join(missing_required)}"
        if missing_required
        else None
    )
    data = out.data
    width = len(header)
    for line, fields, text in records:
        report.records += 1
        error = file_error
        if error is None and len(fields) != width:
            error = f"record has {len(fields)} fields, header has {width}"
            report.malformed_records += 1
        data["_source_file"].append(relative)
        data["_source_line"].append(line)
        data["_file_stem"].append(path.stem)
        for column in spec.columns:
            data[column].append(None)
        for position, column in contract.items():
            if position < len(fields):
                data[column][-1] = fields[position]
        overflow = [(f"overflow_{i + 1}", v) for i, v in enumerate(fields[width:])]
        data["_extra_columns"].append(
            _extras_json(
                [(key, fields[p]) for p, key in extra.items() if p < len(fields)] + overflow
            )
        )
        data["_load_error"].append(error)
        data["_raw_record"].append(text if error else None)
    return report


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_parquet_file(spec: LandingSpec, path: Path, raw_dir: Path) -> tuple[pa.Table, FileReport]:
    """A Parquet export, read by DuckDB column-wise (no Python loop per row): typed
    values become text, extra columns JSON, and the row number stands for the line."""
    relative = path.relative_to(raw_dir).as_posix()
    header = pq.read_schema(path).names
    contract, extra, missing_required, missing_optional = _header_layout(spec, header)
    by_column = {column: p for p, column in contract.items()}

    def column_text(position: int) -> str:
        name = header[position].replace('"', '""')
        return f'cast("{name}" as varchar)'

    values = [
        f"{column_text(by_column[c])} as {c}" if c in by_column else f"cast(null as varchar) as {c}"
        for c in spec.columns
    ]
    if extra:
        entries = ", ".join(
            f"{{'k': {_sql_text(key)}, 'v': {column_text(p)}}}"
            for p, key in sorted(extra.items(), key=lambda item: item[1])
        )
        extras = (
            "nullif(cast(to_json(map_from_entries(list_filter("
            f"[{entries}], e -> e.v is not null and e.v <> ''))) as varchar), '{{}}')"
        )
    else:
        extras = "cast(null as varchar)"
    error = (
        _sql_text(f"file lacks required column(s): {', '.join(missing_required)}")
        if missing_required
        else "cast(null as varchar)"
    )
    query = f"""
        select
            {_sql_text(relative)} as _source_file,
            cast(file_row_number + 2 as bigint) as _source_line,
            {_sql_text(path.stem)} as _file_stem,
            {", ".join(values)},
            {extras} as _extra_columns,
            {error} as _load_error,
            cast(null as varchar) as _raw_record
        from read_parquet({_sql_text(str(path))}, file_row_number = true)
        order by file_row_number
    """
    with duckdb.connect() as conn:
        table = conn.execute(query).to_arrow_table()
    report = FileReport(
        path=relative,
        records=table.num_rows,
        encodings=("parquet",),
        missing_required=missing_required,
        missing_optional=missing_optional,
        extra_columns=tuple(extra.values()),
    )
    return table, report


def landing_files(raw_dir: Path, spec: LandingSpec) -> list[Path]:
    folder = raw_dir / spec.folder
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in DATA_SUFFIXES and not p.name.startswith(".")
    )


def load_folder(
    raw_dir: Path | str, source: str, files: Iterable[Path] | None = None
) -> tuple[pa.Table, list[FileReport]]:
    """Read the data files of one landing folder (all of them, or only ``files``) into
    one all-text table."""
    spec = SPECS[source]
    raw_dir = Path(raw_dir)
    csv_rows = _Columns(spec)
    parquet_tables, reports = [], []
    for path in landing_files(raw_dir, spec) if files is None else sorted(files):
        if DATA_SUFFIXES[path.suffix.lower()] == "parquet":
            table, report = read_parquet_file(spec, path, raw_dir)
            parquet_tables.append(table)
        else:
            report = read_csv_file(spec, path, raw_dir, csv_rows)
        reports.append(report)
    tables = [csv_rows.table(), *(t.cast(csv_rows.table().schema) for t in parquet_tables)]
    return pa.concat_tables(tables), reports
