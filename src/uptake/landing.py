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

import codecs
import contextlib
import csv
import gzip
import itertools
import json
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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

# The landing's bookkeeping tables (schema raw): every file landed (the manifest,
# ``_landed_files``) and the files of a landing folder the latest run did not land, with
# the reason (``_files_not_landed``); the dbt plugin keeps them on DuckDB, ``uptake
# land-parquet`` writes them as Parquet for other engines.
MANIFEST_COLUMNS = (
    ("landing_folder", "varchar"),
    ("raw_dir", "varchar"),
    ("file_path", "varchar"),
    ("size_bytes", "bigint"),
    ("modified_ns", "bigint"),
    ("record_count", "bigint"),
    ("landed_at", "timestamp"),
)
NOT_LANDED_COLUMNS = (
    ("landing_folder", "varchar"),
    ("raw_dir", "varchar"),
    ("file_path", "varchar"),
    ("reason", "varchar"),
    ("size_bytes", "bigint"),
    ("seen_at", "timestamp"),
)

DATA_SUFFIXES = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}


class LandingFileError(Exception):
    """A landing file that cannot be read at all (the message says which and what to do)."""


# A CSV export compressed with gzip (``x.csv.gz``) lands as its plain form would, under
# its own name.
GZIP_SUFFIX = ".gz"


def data_kind(path: Path) -> str | None:
    """How a landing file is read: ``csv``, ``csv.gz``, ``parquet``, or None when it is
    not a data file (see :func:`skip_reason`)."""
    name = path.name.lower()
    if name.endswith(GZIP_SUFFIX):
        inner = DATA_SUFFIXES.get(Path(name[: -len(GZIP_SUFFIX)]).suffix)
        return "csv.gz" if inner == "csv" else None
    return DATA_SUFFIXES.get(path.suffix.lower())


def skip_reason(path: Path) -> str | None:
    """Why a file of a landing folder is not landed (None: it is)."""
    if path.name.startswith("."):
        return "hidden file (its name starts with a dot: an editor's lock or a system file)"
    if data_kind(path) is None:
        return (
            f"not a data file: lands only {', '.join(sorted(DATA_SUFFIXES))} "
            f"and gzipped CSV (.csv.gz, .txt.gz)"
        )
    return None


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
    # "duckdb" (the fast path proved it took every record), "python" (the tolerant
    # reader) or "parquet"; ``fallback`` says why a CSV file did not take the fast path.
    reader: str = ""
    fallback: str | None = None

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
                "the header's (or unreadable) go to the rejected rows"
            )
        return found


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


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """A SQL identifier, quoted: any name (a hyphen, a quote, a space) stays one name."""
    return '"' + name.replace('"', '""') + '"'


# DuckDB's readers take a path holding one of these as a glob pattern (a file named
# 'a[1].parquet' would read 'a1.parquet'), and one starting with '~' as under the home.
_GLOB_CHARACTERS = re.compile(r"[*?\[\]{}\\]")


@contextlib.contextmanager
def _literal_path(path: Path) -> Iterator[str]:
    """A path that DuckDB reads as exactly this file: the path itself, or, if DuckDB would
    take it as a pattern, a symbolic link of a plain name in a folder of its own."""
    text = str(path)
    if not _GLOB_CHARACTERS.search(text) and not text.startswith("~"):
        yield text
        return
    with tempfile.TemporaryDirectory(prefix="uptake_landing_") as folder:
        link = os.path.join(folder, "file" + path.suffix.lower())
        os.symlink(path.absolute(), link)
        if _GLOB_CHARACTERS.search(link):
            raise OSError(f"the temporary folder {folder} is not a plain path")
        yield link


def output_schema(spec: LandingSpec) -> pa.Schema:
    """The raw table's columns: all text but ``_source_line``."""
    return pa.schema(
        [
            (name, pa.int64() if name == "_source_line" else pa.string())
            for name in spec.output_columns
        ]
    )


# Files are read in chunks of this size and land in batches of at most this many rows,
# so that memory does not grow with the file.
CHUNK_BYTES = 1 << 24
BATCH_ROWS = 100_000
# The longest field the tolerant reader takes (characters; the csv module's own limit is
# 131,072). A longer one, mostly a quote left open that would swallow the rest of the
# file, makes its record a rejected one; reading goes on at the next line.
MAX_FIELD_CHARS = 1 << 24
_BOM = b"\xef\xbb\xbf"
# Where str.splitlines breaks a line (besides \r and \n) but a CSV reader does not: the
# tolerant reader splits a UTF-8 file there, so a file holding one takes that reader.
_SPLITLINES_BYTES = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e")
_SPLITLINES_CHARS = ("\x85", "\u2028", "\u2029")

Sink = Callable[[pa.RecordBatch], None]
# Inserts into the raw table, where it lives, the rows of a select on that database or of
# a stream of batches; returns how many.
Insert = Callable[[str | pa.RecordBatchReader], int]


def _chunks(path: Path, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(size):
            yield chunk


# ---------------------------------------------------------------- the tolerant reader


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _chunks(path):
            if not chunk.isascii() or decoder.getstate()[0]:
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _split_lines(pieces: Iterable, split: Callable) -> Iterator:
    """Lines (line ends kept) of text arriving in pieces: the last, maybe partial, line of
    a piece is split again with the next piece, so the lines are those of the whole."""
    carry = None
    for piece in pieces:
        lines = split(carry + piece if carry else piece)
        carry = lines.pop() if lines else None
        yield from lines
    if carry:
        yield carry


def _without_bom(path: Path) -> Iterator[bytes]:
    chunks = _chunks(path)
    first = next(chunks, b"")
    yield first[3:] if first.startswith(_BOM) else first
    yield from chunks


def _decoded_lines(path: Path, encodings: set[str]) -> Iterator[str]:
    """The file's lines, decoded as the whole file in UTF-8 if it is valid UTF-8 (split
    as str.splitlines splits), else line by line (bytes split at \\r and \\n, each line in
    UTF-8, cp1252 or Latin-1); ``encodings`` collects the encodings used."""
    if _is_utf8(path):
        encodings.add("utf-8")
        decoder = codecs.getincrementaldecoder("utf-8")()
        text = (decoder.decode(chunk) for chunk in _without_bom(path))
        yield from _split_lines(text, lambda t: t.splitlines(keepends=True))
        return
    for raw in _split_lines(_without_bom(path), lambda b: b.splitlines(keepends=True)):
        text, encoding = decode_line(raw)
        encodings.add(encoding)
        yield text


def _csv_records(
    lines: Iterable[str],
) -> Iterator[tuple[int, list[str], list[str], str | None]]:
    """Yield (first line number, fields, lines of the record, error) for each CSV record
    (a line of nothing but white space is none). A record the csv module cannot read (a
    field longer than :data:`MAX_FIELD_CHARS`, mostly a quote left open) comes with no
    fields and the error; reading goes on at the next line, so every line still belongs
    to one record."""
    pending: list[str] = []

    def feed() -> Iterator[str]:
        for line in lines:
            pending.append(line)
            yield line

    reader = csv.reader(feed(), strict=False)
    line_after_previous = 1
    while True:
        error = None
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            fields = []
            error = (
                f"a field longer than {MAX_FIELD_CHARS:,} characters (a quote left open?)"
                if "field limit" in str(exc)
                else f"unreadable record ({exc})"
            )
        first_line = line_after_previous
        line_after_previous = reader.line_num + 1
        record_lines, pending = pending, []
        if error is None and not "".join(record_lines).strip():
            continue  # a blank line (a quoted empty value is a record)
        yield first_line, fields, record_lines, error


@contextlib.contextmanager
def _field_size_limit(limit: int) -> Iterator[None]:
    """The csv module's field size limit (process-wide) set for one read."""
    before = csv.field_size_limit()
    csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


class _Batches:
    """Column-wise buffers of one file's rows, handed to the sink every BATCH_ROWS rows."""

    def __init__(self, spec: LandingSpec, sink: Sink) -> None:
        self.schema = output_schema(spec)
        self.sink = sink
        self.data: dict[str, list] = {name: [] for name in spec.output_columns}
        self.rows = 0

    def flush(self) -> None:
        if self.rows:
            arrays = [pa.array(self.data[f.name], type=f.type) for f in self.schema]
            self.sink(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        for values in self.data.values():
            values.clear()
        self.rows = 0


def read_csv_tolerant(
    spec: LandingSpec, path: Path, relative: str, report: FileReport, sink: Sink
) -> None:
    """Every record through Python's csv module: never refuses a file."""
    report.reader = "python"
    encodings: set[str] = set()
    with _field_size_limit(MAX_FIELD_CHARS):
        records = _csv_records(_decoded_lines(path, encodings))
        first = next(records, None)
        if first is None:
            report.encodings = tuple(sorted(encodings or {"utf-8"}))
            return
        _, header, header_lines, header_error = first
        if header_error:
            # No columns are known; the lines read as the header may hold records, so
            # they land too, as one rejected record.
            unreadable = (1, [], header_lines, f"the header is unreadable: {header_error}")
            records = itertools.chain([unreadable], records)
        _land_records(spec, path, relative, header, records, report, sink)
    report.encodings = tuple(sorted(encodings))


def _land_records(
    spec: LandingSpec,
    path: Path,
    relative: str,
    header: list[str],
    records: Iterable[tuple[int, list[str], list[str], str | None]],
    report: FileReport,
    sink: Sink,
) -> None:
    contract, extra, missing_required, missing_optional = _header_layout(spec, header)
    report.missing_required, report.missing_optional = missing_required, missing_optional
    report.extra_columns = tuple(extra.values())
    file_error = (
        f"file lacks required column(s): {', '.join(missing_required)}"
        if missing_required
        else None
    )
    out = _Batches(spec, sink)
    data = out.data
    width = len(header)
    for line, fields, record_lines, read_error in records:
        report.records += 1
        error = read_error or file_error
        if read_error or error is None and len(fields) != width:
            error = error or f"record has {len(fields)} fields, header has {width}"
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
        data["_raw_record"].append("".join(record_lines).rstrip("\r\n") if error else None)
        out.rows += 1
        if out.rows >= BATCH_ROWS:
            out.flush()
    out.flush()


# ---------------------------------------------------------------------- the fast path


class Unproven(Exception):
    """The fast path cannot prove that it took every record exactly as the tolerant
    reader would: the file goes to the tolerant reader."""


class NotUtf8(Unproven):
    """The fast path refused the file because it is not UTF-8: its transcoded copy may
    still take the fast path (see :func:`_transcoded`)."""


@dataclass
class _Scan:
    """What one pass over the bytes of a CSV file finds, independently of any CSV parser."""

    header: list[str]
    data_bytes: int  # bytes after the header line
    lines: int  # physical lines after the header line
    newline_bytes: int  # bytes of their line ends
    quotes: int  # '"' after the header line
    # Whether a value may need json.dumps's escapes (a '\\', '"' or tab after the header
    # line) and whether one may hold another control character (a quote, which may enclose
    # a line end, or a control byte other than the tab and the line ends).
    may_need_escapes: bool = True
    may_hold_controls: bool = True
    non_ascii: bool = False
    encodings: tuple[str, ...] = field(default=("utf-8",))


def _scan_csv(path: Path) -> _Scan:
    """Count lines, line-end bytes and quotes; refuse what the fast path cannot prove:
    not UTF-8, a lone carriage return, a quoted or blank header, a character at which
    str.splitlines breaks a line."""
    chunks = _chunks(path)
    first = next(chunks, b"")
    if first.startswith(_BOM):
        first = first[3:]
    end = first.find(b"\n")
    if end < 0:
        raise Unproven("no line end within the first 16 MB (or no record)")
    header_line = first[: end + 1]
    try:
        header_text = header_line.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError as exc:
        raise NotUtf8("the header is not UTF-8") from exc
    if '"' in header_text or "\r" in header_text or not header_text.strip():
        raise Unproven("the header is quoted, holds a carriage return or is blank")
    if any(ch in header_text for ch in "\x0b\x0c\x1c\x1d\x1e" + "".join(_SPLITLINES_CHARS)):
        raise Unproven("the header holds a line-breaking character")
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = crs = crlfs = quotes = data_bytes = tabs = other_controls = 0
    backslashes = False
    non_ascii = False
    previous_last = b""
    last = b"\n"
    for chunk in _prepend(first[end + 1 :], chunks):
        if not chunk:
            continue
        data_bytes += len(chunk)
        chunk_newlines = chunk.count(b"\n")
        newlines += chunk_newlines
        quotes += chunk.count(b'"')
        backslashes = backslashes or chunk.find(b"\\") >= 0
        cr = chunk.count(b"\r")
        if cr:
            crs += cr
            crlfs += chunk.count(b"\r\n")
        if previous_last == b"\r" and chunk[:1] == b"\n":
            crlfs += 1
        # Control bytes but the line ends: usually none, which spares the searches below.
        controls = int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) < 0x20))
        controls -= chunk_newlines + cr
        if controls:
            chunk_tabs = chunk.count(b"\t")
            tabs += chunk_tabs
            other_controls += controls - chunk_tabs
            if any(chunk.find(b) >= 0 for b in _SPLITLINES_BYTES):
                raise Unproven("a value holds a character at which str.splitlines breaks lines")
        if not chunk.isascii() or decoder.getstate()[0]:
            non_ascii = True
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise NotUtf8("not UTF-8") from exc
            if any(ch in text for ch in _SPLITLINES_CHARS):
                raise Unproven("a value holds a character at which str.splitlines breaks lines")
        previous_last = last = chunk[-1:]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise NotUtf8("not UTF-8") from exc
    if crs != crlfs:
        raise Unproven("a carriage return that does not end a line")
    lines = newlines + (0 if last == b"\n" else 1)
    if lines == 0:
        raise Unproven("no record")
    return _Scan(
        header=header_text.split(","),
        data_bytes=data_bytes,
        lines=lines,
        newline_bytes=newlines + crs,
        quotes=quotes,
        may_need_escapes=bool(quotes or backslashes or tabs),
        may_hold_controls=bool(quotes or other_controls),
        non_ascii=non_ascii,
    )


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _json_text(sql: str, escape: bool) -> str:
    """The SQL of a JSON string body of a text value (as json.dumps writes it, for values
    free of control characters but the tab); ``escape=False`` when no value of the file
    holds a '\\', '"' or tab, so that the body is the value itself."""
    if not escape:
        return sql
    return f"replace(replace(replace({sql}, '\\', '\\\\'), '\"', '\\\"'), chr(9), '\\t')"


def _fast_query(
    spec: LandingSpec,
    path: str,
    width: int,
    contract: dict[int, str],
    extra: dict[int, str],
    scan: _Scan,
) -> str:
    """DuckDB's CSV reader on the file, strict, every field text exactly as written
    (no trimming; an empty field is ''): the contract columns the header names, the extra
    columns' JSON, and the per-row figures of the proof that Arrow cannot take from the
    columns themselves (the bytes of the extra columns, the quotes of every column). The
    other output columns (constants and nulls) are added in Arrow."""
    names = [f"c{i}" for i in range(width)]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    by_column = {column: p for p, column in contract.items()}
    select = [f"coalesce(c{by_column[c]}, '') as {c}" for c in spec.columns if c in by_column]
    if extra:
        ordered = sorted(extra.items(), key=lambda item: item[1])
        pairs = [
            (f"c{p}", f"""'"{key}": "' || {_json_text(f"c{p}", scan.may_need_escapes)}""")
            for p, key in ordered
        ]
        if len(pairs) == 1:
            ((value, pair),) = pairs
            extras = f"""case when {value} <> '' then '{{' || {pair} || '"}}' end"""
        else:
            parts = ", ".join(
                f"""case when {v} <> '' then {pair} || '"' end""" for v, pair in pairs
            )
            extras = f"nullif('{{' || concat_ws(', ', {parts}) || '}}', '{{}}')"
        select.append(f"{extras} as _extra_columns")
        extra_bytes = " + ".join(f"coalesce(strlen(c{p}), 0)" for p in extra)
        select.append(f"({extra_bytes})::bigint as _extra_bytes")
        if scan.may_hold_controls:
            # A control character other than the tab would need json.dumps's escapes.
            unproven = " or ".join(
                f"coalesce(regexp_matches(c{p}, '[\\x00-\\x08\\x0a-\\x1f]'), false)" for p in extra
            )
            select.append(f"({unproven}) as _unproven")
    if scan.quotes:
        nquotes = " + ".join(
            f"coalesce(strlen({n}) - strlen(replace({n}, '\"', '')), 0)" for n in names
        )
        select.append(f"({nquotes})::bigint as _quotes")
    return f"""
        select {", ".join(select) or "1 as _none"}
        from read_csv(
            {_sql_text(path)}, header = false, skip = 1, columns = {columns},
            delim = ',', quote = '"', escape = '"', strict_mode = true,
            null_padding = false, allow_quoted_nulls = false, ignore_errors = false,
            auto_detect = false
        )
    """


def _text_bytes(array: pa.Array) -> int:
    """The bytes of the values of a text column (its nulls count none)."""
    return pc.sum(pc.binary_length(array)).as_py() or 0


def read_csv_fast(
    spec: LandingSpec, path: Path, relative: str, report: FileReport, sink: Sink
) -> None:
    """DuckDB's CSV reader, streamed in batches to ``sink``; raises :class:`Unproven`
    (possibly after some batches) unless it proves that it took every record of the
    file as the tolerant reader would (see :func:`_fast_batches`)."""
    for batch in _fast_batches(spec, path, relative, report):
        sink(batch)


def _insert_csv_fast(
    spec: LandingSpec, path: Path, relative: str, report: FileReport, insert: Insert
) -> None:
    """The fast path's batches handed to ``insert`` as one stream (one statement where
    the raw table lives, which writes them as they come); raises :class:`Unproven`
    after the stream if the proof failed, and the rows in so far must be retracted."""
    batches = _fast_batches(spec, path, relative, report)
    first = next(batches, None)  # what the byte scan refuses, it refuses before any row
    refused: list[Unproven] = []

    def stream() -> Iterator[pa.RecordBatch]:
        if first is None:
            return
        yield first
        try:
            yield from batches
        except Unproven as exc:
            # Raised inside the insert, it would abort the caller's transaction: the
            # stream ends instead.
            refused.append(exc)

    insert(pa.RecordBatchReader.from_batches(output_schema(spec), stream()))
    if refused:
        raise refused[0]


def _fast_batches(
    spec: LandingSpec, path: Path, relative: str, report: FileReport
) -> Iterator[pa.RecordBatch]:
    """DuckDB's CSV reader, in batches of raw rows; raises :class:`Unproven` (possibly
    after some batches) unless it proves that it took every record of the file as the
    tolerant reader would.

    The proof: every record starts on its own line (the records DuckDB returns equal the
    physical lines after the header; a quoted line end, a blank line or a skipped record
    would make them fewer, and no lone carriage return may make them more), each has the
    header's field count (strict mode), and the bytes of the values, the commas, the line
    ends and the quotes DuckDB took away add up to the file's size, so that nothing was
    trimmed or dropped. A file whose values need what the fast path does not do (legacy
    8-bit bytes, control characters in an extra column, a missing required column, which
    rejects every record with its raw text) is refused before or while reading."""
    scan = _scan_csv(path)
    width = len(scan.header)
    if width < 2:
        raise Unproven("a single column (a blank line would be a record)")
    contract, extra, missing_required, missing_optional = _header_layout(spec, scan.header)
    if missing_required:
        raise Unproven("lacks a required column (every record is rejected with its text)")
    schema = output_schema(spec)
    present = set(contract.values())
    rows = value_bytes = value_quotes = 0
    try:
        with _literal_path(path) as readable, duckdb.connect() as conn:
            query = _fast_query(spec, readable, width, contract, extra, scan)
            reader = conn.execute(query).to_arrow_reader(BATCH_ROWS)
            for batch in reader:
                n = batch.num_rows
                if not n:
                    continue
                names = batch.schema.names
                if "_unproven" in names and pc.any(batch.column("_unproven")).as_py():
                    raise Unproven("an extra column holds a control character")
                if "_extra_bytes" in names:
                    value_bytes += pc.sum(batch.column("_extra_bytes")).as_py()
                if "_quotes" in names:
                    value_quotes += pc.sum(batch.column("_quotes")).as_py()
                nulls = pa.nulls(n, pa.string())
                columns = [
                    pa.repeat(pa.scalar(relative, pa.string()), n),
                    pa.array(np.arange(rows + 2, rows + 2 + n, dtype=np.int64)),
                    pa.repeat(pa.scalar(path.stem, pa.string()), n),
                ]
                for column in spec.columns:
                    if column in present:
                        values = batch.column(column)
                        value_bytes += _text_bytes(values)
                        columns.append(values)
                    else:
                        columns.append(nulls)
                columns.append(batch.column("_extra_columns") if extra else nulls)
                columns += [nulls, nulls]
                yield pa.RecordBatch.from_arrays(columns, schema=schema)
                rows += n
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        # A CSV error met while streaming reaches Python through Arrow, as an OSError.
        raise Unproven(f"DuckDB's strict reader refused it: {str(exc).splitlines()[0]}") from exc
    if rows != scan.lines:
        raise Unproven(f"{rows} records on {scan.lines} lines")
    accounted = value_bytes + (width - 1) * rows + scan.newline_bytes + scan.quotes - value_quotes
    if accounted != scan.data_bytes:
        raise Unproven(f"{accounted} bytes accounted for, the file has {scan.data_bytes}")
    report.reader = "duckdb"
    report.records = rows
    report.encodings = ("utf-8",)
    report.missing_optional = missing_optional
    report.extra_columns = tuple(extra.values())


# ------------------------------------------------------------------------ Parquet


def parquet_query(
    spec: LandingSpec, path: str, header: list[str], relative: str
) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The select that turns a Parquet export (read by DuckDB from ``path``, whose columns
    are ``header``) into raw rows: typed values become text, extra columns JSON, and the
    row number stands for the line. Also the missing required and optional columns and
    the extra columns' keys. No order: where the rows go, order does not matter."""
    contract, extra, missing_required, missing_optional = _header_layout(spec, header)
    by_column = {column: p for p, column in contract.items()}

    def column_text(position: int) -> str:
        return f"cast({quote_identifier(header[position])} as varchar)"

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
            {_sql_text(Path(relative).stem)} as _file_stem,
            {", ".join(values)},
            {extras} as _extra_columns,
            {error} as _load_error,
            cast(null as varchar) as _raw_record
        from read_parquet({_sql_text(path)}, file_row_number = true)
    """
    return query, missing_required, missing_optional, tuple(extra.values())


def read_parquet_file(
    spec: LandingSpec,
    path: Path,
    relative: str,
    report: FileReport,
    sink: Sink,
    insert: Insert | None = None,
) -> None:
    """A Parquet export, read by DuckDB column-wise (no Python loop per row). With
    ``insert``, one ``insert ... select`` on the target database lands the whole file (no
    batch passes through Python); without, the rows go to ``sink`` in file order."""
    header = pq.read_schema(path).names
    with _literal_path(path) as readable:
        query, missing_required, missing_optional, extra = parquet_query(
            spec, readable, header, relative
        )
        if insert is not None:
            report.records = insert(query)
        else:
            schema = output_schema(spec)
            # A fresh connection keeps the order of insertion: the rows come in file order.
            with duckdb.connect() as conn:
                for batch in conn.execute(query).to_arrow_reader(BATCH_ROWS):
                    if batch.num_rows:
                        report.records += batch.num_rows
                        sink(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
    report.reader = "parquet"
    report.encodings = ("parquet",)
    report.missing_required = missing_required
    report.missing_optional = missing_optional
    report.extra_columns = extra


# ------------------------------------------------------------------------ per file


def landing_files(raw_dir: Path, spec: LandingSpec) -> list[Path]:
    """The data files of a landing folder, in landing order."""
    return [p for p in _folder_files(raw_dir, spec) if skip_reason(p) is None]


def skipped_files(raw_dir: Path, spec: LandingSpec) -> list[tuple[Path, str]]:
    """The other files of a landing folder, each with why it is not landed."""
    found = ((p, skip_reason(p)) for p in _folder_files(raw_dir, spec))
    return [(p, reason) for p, reason in found if reason is not None]


@dataclass(frozen=True)
class FolderChanges:
    """A landing folder set against the manifest of the files landed from it so far
    (:func:`folder_changes`): append-only by file, only ``new`` may be landed."""

    new: list[Path]  # data files not landed yet, in landing order
    changed: list[str]  # landed files whose size or modification time differ now
    gone: list[str]  # landed files no longer in the folder
    other_dirs: list[str]  # landing folders the landed files came from, if not this one

    def refusal(self, folder: Path, raw_table: str, remedy: str) -> str | None:
        """Why the folder cannot be appended to ``raw_table`` (None: it can); ``remedy``
        names the command that lands every file again."""
        if self.other_dirs:
            return (
                f"{raw_table} was landed from {', '.join(self.other_dirs)}, but this run "
                f"reads {folder.parent}: run {remedy} to land the new folder from scratch"
            )
        if self.changed:
            return (
                f"{len(self.changed)} file(s) of {folder} changed after they were landed in "
                f"{raw_table} ({', '.join(self.changed[:5])}"
                f"{', ...' if len(self.changed) > 5 else ''}). Landing is append-only by "
                f"file: land new data as new files, or run {remedy} to land every file again"
            )
        return None

    def gone_warning(self, folder: Path, raw_table: str, remedy: str) -> str | None:
        if not self.gone:
            return None
        return (
            f"{len(self.gone)} file(s) landed in {raw_table} are no longer in {folder} "
            f"({', '.join(self.gone[:5])}); their rows stay until {remedy}"
        )


def folder_changes(
    raw_dir: Path, spec: LandingSpec, landed: dict[str, tuple[int, int, str]]
) -> FolderChanges:
    """The folder's data files against ``landed``, the manifest's {relative path: (size
    in bytes, modification time in ns, landing folder it came from)}."""
    files = landing_files(raw_dir, spec)
    new, changed, present = [], [], set()
    for path in files:
        relative = path.relative_to(raw_dir).as_posix()
        present.add(relative)
        if relative not in landed:
            new.append(path)
            continue
        stat = path.stat()
        if (stat.st_size, stat.st_mtime_ns) != tuple(landed[relative][:2]):
            changed.append(relative)
    other_dirs = sorted({str(row[2]) for row in landed.values()} - {str(raw_dir)})
    return FolderChanges(new, changed, sorted(set(landed) - present), other_dirs)


def _folder_files(raw_dir: Path, spec: LandingSpec) -> list[Path]:
    folder = raw_dir / spec.folder
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file())


def land_file(
    spec: LandingSpec,
    path: Path,
    raw_dir: Path,
    sink: Sink,
    retract: Callable[[], None],
    fast: bool = True,
    insert: Insert | None = None,
) -> FileReport:
    """Land the rows of one data file, with ``insert`` (one statement per file where the
    raw table lives) or else in batches to ``sink``. A CSV file takes the fast path (its
    batches streamed to ``insert``); if that cannot prove its result, ``retract`` must
    take back whatever rows it handed over, and the tolerant reader reads the file again
    (in batches to ``sink``). A Parquet file lands as one ``insert ... select``."""
    relative = path.relative_to(raw_dir).as_posix()
    kind = data_kind(path)
    if kind == "parquet":
        report = FileReport(path=relative)
        read_parquet_file(spec, path, relative, report, sink, insert)
        return report
    if kind == "csv.gz":
        # Read from a plain copy (streamed: memory does not grow with the file), so both
        # readers and the fast path's proof see the same bytes as for an uncompressed
        # export; the rows keep the compressed file's name.
        with tempfile.TemporaryDirectory(prefix="uptake_gunzip_") as folder:
            plain = _gunzipped(path, Path(folder))
            return _land_csv(spec, plain, relative, sink, retract, fast, insert)
    return _land_csv(spec, path, relative, sink, retract, fast, insert)


def _gunzipped(path: Path, folder: Path) -> Path:
    """A plain copy of a gzipped file in ``folder``, named without ``.gz``."""
    plain = folder / path.name[: -len(GZIP_SUFFIX)]
    try:
        with gzip.open(path, "rb") as compressed, plain.open("wb") as out:
            shutil.copyfileobj(compressed, out, 1 << 20)
    except (OSError, EOFError, zlib.error) as exc:
        raise LandingFileError(
            f"{path}: not a readable gzip file ({exc}); replace it with a good copy or "
            "move it out of the landing folder"
        ) from exc
    return plain


def _land_csv(
    spec: LandingSpec,
    path: Path,
    relative: str,
    sink: Sink,
    retract: Callable[[], None],
    fast: bool,
    insert: Insert | None,
) -> FileReport:
    report = FileReport(path=relative)
    if fast:
        try:
            _land_csv_fast(spec, path, relative, report, sink, insert)
            return report
        except NotUtf8 as exc:
            retract()
            report = FileReport(path=relative, fallback=str(exc))
            with tempfile.TemporaryDirectory(prefix="uptake_landing_") as folder:
                copy, encodings = _transcoded(path, Path(folder))
                try:
                    _land_csv_fast(spec, copy, relative, report, sink, insert)
                    report.encodings = encodings
                    report.fallback = None
                    return report
                except Unproven as again:
                    retract()
                    report = FileReport(path=relative, fallback=f"{exc}; its UTF-8 copy: {again}")
        except Unproven as exc:
            retract()
            report = FileReport(path=relative, fallback=str(exc))
    read_csv_tolerant(spec, path, relative, report, sink)
    return report


def _land_csv_fast(
    spec: LandingSpec,
    path: Path,
    relative: str,
    report: FileReport,
    sink: Sink,
    insert: Insert | None,
) -> None:
    if insert is None:
        read_csv_fast(spec, path, relative, report, sink)
    else:
        _insert_csv_fast(spec, path, relative, report, insert)


def _transcoded(path: Path, folder: Path) -> tuple[Path, tuple[str, ...]]:
    """A UTF-8 copy, in ``folder`` under the same name, of a file that is not UTF-8: its
    lines decoded as the tolerant reader decodes such a file (bytes split at \\r and \\n,
    each line in UTF-8, cp1252 or Latin-1; no byte-order mark), and the encodings used.
    Where the copy holds no character at which str.splitlines breaks a line (else the
    fast path refuses it), the tolerant reader reads the copy as it reads the file, so
    what the fast path proves of the copy holds for the file."""
    copy = folder / path.name
    encodings: set[str] = set()
    with copy.open("w", encoding="utf-8", newline="") as out:
        for raw in _split_lines(_without_bom(path), lambda b: b.splitlines(keepends=True)):
            text, encoding = decode_line(raw)
            encodings.add(encoding)
            out.write(text)
    return copy, tuple(sorted(encodings))


def land_folder(
    raw_dir: Path | str,
    source: str,
    sink: Sink,
    retract: Callable[[str], None],
    files: Iterable[Path] | None = None,
    fast: bool = True,
    insert: Insert | None = None,
) -> list[FileReport]:
    """Land the data files of one landing folder (all of them, or only ``files``), file
    after file (see :func:`land_file`); ``retract(relative path)`` takes back a file's
    batches when the fast path falls back."""
    spec = SPECS[source]
    raw_dir = Path(raw_dir)
    reports = []
    for path in landing_files(raw_dir, spec) if files is None else sorted(files):
        relative = path.relative_to(raw_dir).as_posix()
        reports.append(
            land_file(
                spec, path, raw_dir, sink, lambda r=relative: retract(r), fast=fast, insert=insert
            )
        )
    return reports


def load_folder(
    raw_dir: Path | str, source: str, files: Iterable[Path] | None = None, fast: bool = True
) -> tuple[pa.Table, list[FileReport]]:
    """Read the data files of one landing folder (all of them, or only ``files``) into
    one all-text table (in memory: the dbt plugin lands into a :class:`RawTable`)."""
    batches: list[pa.RecordBatch] = []

    def retract(relative: str) -> None:
        batches[:] = [b for b in batches if b.column(0)[0].as_py() != relative]

    reports = land_folder(raw_dir, source, batches.append, retract, files, fast=fast)
    return pa.Table.from_batches(batches, schema=output_schema(SPECS[source])), reports


# ------------------------------------------------------------------ the raw table


class RawTable:
    """A raw table on a DuckDB connection (``name`` is ``schema.table`` or
    ``catalog.schema.table``), which :meth:`land` fills: a Parquet file with one
    ``insert ... select``, a CSV file's fast path with one insert of its stream of
    batches (its rows deleted again if it falls back), the tolerant reader's batches
    appended one by one. Transactions are the caller's."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, name: str, source: str) -> None:
        self.conn = conn
        self.parts = tuple(name.split("."))
        if len(self.parts) not in (2, 3) or not all(self.parts):
            raise ValueError(f"{name!r} is not schema.table or catalog.schema.table")
        self.sql_name = ".".join(quote_identifier(part) for part in self.parts)
        self.source = source
        self.columns = output_schema(SPECS[source]).names
        self.rows = 0

    def exists(self) -> bool:
        *catalog, schema, table = self.parts
        where = "table_schema = ? and table_name = ?"
        if catalog:
            where += " and table_catalog = ?"
        (count,) = self.conn.execute(
            f"select count(*) from information_schema.tables where {where}",
            [schema, table, *catalog],
        ).fetchone()
        return count > 0

    def create(self) -> None:
        columns = ", ".join(
            f"{quote_identifier(name)} {'bigint' if name == '_source_line' else 'varchar'}"
            for name in self.columns
        )
        self.conn.execute(f"create table {self.sql_name} ({columns})")

    def append(self, batch: pa.RecordBatch) -> None:
        self.conn.register("landing_rows", pa.Table.from_batches([batch]))
        try:
            self.conn.execute(f"insert into {self.sql_name} by name select * from landing_rows")
        finally:
            self.conn.unregister("landing_rows")
        self.rows += batch.num_rows

    def retract(self, relative: str) -> None:
        (deleted,) = self.conn.execute(
            f"delete from {self.sql_name} where _source_file = ?", [relative]
        ).fetchone()
        self.rows -= deleted

    def insert(self, rows: str | pa.RecordBatchReader) -> int:
        """Insert the rows of a select on this database, or of a stream of batches."""
        columns = ", ".join(quote_identifier(name) for name in self.columns)
        if isinstance(rows, str):
            (inserted,) = self.conn.execute(
                f"insert into {self.sql_name} ({columns}) {rows}"
            ).fetchone()
        else:
            self.conn.register("landing_stream", rows)
            try:
                (inserted,) = self.conn.execute(
                    f"insert into {self.sql_name} ({columns}) select {columns} from landing_stream"
                ).fetchone()
            finally:
                self.conn.unregister("landing_stream")
        self.rows += inserted
        return inserted

    def land(
        self, raw_dir: Path | str, files: Iterable[Path] | None = None, fast: bool = True
    ) -> list[FileReport]:
        """Land the data files of the source's folder (all, or only ``files``) here."""
        return land_folder(
            raw_dir, self.source, self.append, self.retract, files, fast=fast, insert=self.insert
        )
