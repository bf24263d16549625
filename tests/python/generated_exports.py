"""Generated landing exports (Hypothesis strategies) and the plain-Python account of
what each holds: its records, the physical line each starts on and its fields, written
down while the bytes are made, never read back with a CSV parser.

An export mixes what real ones bring: random quoting (minimal, always, a stray quote
left unquoted), commas, quotes and line ends inside values, a byte-order mark, LF, CRLF
and lone CR line ends (one kind per file, or mixed), NUL bytes, UTF-8 and cp1252 records
in one file, fields longer than the csv module's default limit, headers with leading
spaces, other capitalisation, duplicate, unnamed or extra columns or required columns
missing, ragged records, blank lines, numbers and dates at their extremes; and whole
files that are header-only, zero bytes, binary (as .csv or under another name), a lock
file, or gzipped.

What the landing must make of a record follows from how it was written: it lands at its
file and line with each contract column's value exactly as written, and it carries a
load error exactly when its file lacks a required column or its field count differs
from the header's.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from uptake.landing import SPECS

# Values that parse, per contract column, so that some generated records stage.
VALID = {
    "activity_type": ["SHARE", "VIEW"],
    "user_id": ["5001", "7001", "42"],
    "rm_id": ["12", "3"],
    "user_os": ["WINDOWS_7", "MAC_OS_X_IPHONE"],
    "viewing_app": ["CHROME51", "SAFARI10"],
    "user_groups": ["All Users ,FA - NCR 2 ", "Banking"],
    "shared_date": ["21-Aug-2017", "01-Sep-2017"],
    "shared_time": ["2:16:47", "9:00:00"],
    "title_of_content": ["Deposit rates.pdf", "Café – FAQ.pdf"],
    "share_channel": ["WEB", "IOS"],
    "viewed": ["0", "1"],
    "time_spent_in_seconds": ["40", "0"],
    "last_activity_date": ["22-Aug-2017", "01-Sep-2017"],
    "last_activity_time": ["9:01:02", "23:59:59"],
    "object_id": ["1", "2", "77"],
    "creation_time": ["2014-04-22 03:53:30", "2013-11-15 03:45:04"],
    "name": ["Müller José", "Poole Matthew"],
    "email": ["a@b.com", "x@gmail.com"],
    "creation_source": ["GUEST_INVITE", "ORG_INVITE"],
    "last_session_creation_time": ["1398138810", ""],
    "opted_in_to_mailing_list": ["0", "1"],
    "enabled_for_marketing_drip": ["0", "1"],
    "org_id": ["11", "1"],
    "invited_by_user_id": ["10803.0", ""],
    "time_stamp": ["2014-04-22 03:53:30", "2014-04-23"],
    "visited": ["1"],
    "ts": ["2024-01-03 09:15:02.123456", "2024-01-03 09:16:40.000001"],
    "os": ["Windows", "Mac"],
    "browser": ["Chrome", ""],
    "plan": ["monthly", "yearly", ""],
    "page": ["home", "reports_builder"],
}
# Numbers, dates and times at and past their extremes, and other near misses.
EXTREMES = [
    "0",
    "-0",
    "-1",
    "00012",
    " 42 ",
    "+7",
    "1.0",
    "1e3",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "1e309",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "254118360823473432358724436217364452158",
    "9" * 60,
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-02-29",
    "2023-02-29",
    "0000-00-00",
    "1970-01-01 00:00:00",
    "0001-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "9999-12-31 23:59:59.999999",
    "2024-13-01 00:00:00",
    "2024-01-01 24:00:00",
    "2024-01-01 23:59:60",
    "01-Jan-0001",
    "31-Dec-9999",
    "29-Feb-2023",
    "31-Foo-2017",
    "0:00:00",
    "23:59:59",
    "24:00:00",
    "99:99:99",
    "-1:00:00",
]
# Pieces of values, any encoding: commas, quotes, line ends, NUL, tab, SQL-ish text.
ASCII_PIECES = [
    "a",
    "Zq",
    "x y",
    " ",
    ",",
    '"',
    "'",
    ";",
    "--",
    "\\",
    "\t",
    "\x00",
    "\x01",
    "\n",
    "\r\n",
    "\r",
    "1",
    "-",
    "null",
    "NULL",
    "\\N",
    "{}",
    "[1]",
]
# Characters beyond ASCII in UTF-8 records: accents, CJK, emoji, a BOM inside a value.
UNICODE_PIECES = ["é", "ü", "–", "“”", "€", "中文", "😀", "\ufeff", "\u00a0"]
# Pieces of cp1252 records: each byte >= 0x80 has an ASCII byte on the side that makes
# the line invalid UTF-8 (a continuation byte after ASCII, a lead byte before ASCII),
# so the reader cannot take the line as UTF-8 and decodes it as cp1252, as written.
LEGACY_PIECES = ["éa", "üb", "ñc", "çd", "øe", "àf", "x€", "y–", "z“", "w”", "v…"]
EOLS = ["\n", "\r\n", "\r"]
# Long values: past the csv module's default field limit (131,072 characters).
LONG_LENGTHS = (131_073, 140_000)


@dataclass
class Record:
    line: int  # physical line on which it starts (the header is line 1)
    fields: list[str]


@dataclass
class Export:
    """One generated landing file and what it holds."""

    folder: str
    name: str
    data: bytes
    # The header's columns (contract column or None), None for a file with no readable
    # header (zero bytes, binary).
    columns: list[str | None] | None = None
    records: list[Record] = field(default_factory=list)
    landed: bool = True  # False: a file the landing must list as not landed
    binary: bool = False  # a binary .csv: its rows are whatever it parses to, all rejected

    @property
    def relative(self) -> str:
        return f"{self.folder}/{self.name}"

    @property
    def lacks_required(self) -> bool:
        present = set(self.columns or [])
        return any(c not in present for c in SPECS[self.folder].required)

    def expected_value(self, record: Record, column: str) -> str | None:
        """A contract column's value as written (None when the header lacks it, or the
        record is too short to reach it)."""
        if column not in (self.columns or []):
            return None
        position = self.columns.index(column)
        return record.fields[position] if position < len(record.fields) else None

    def rejected_on_load(self, record: Record) -> bool:
        return self.lacks_required or len(record.fields) != len(self.columns)

    def extra_values(self, record: Record) -> list[str]:
        """The non-empty values outside the contract columns (the extra columns and the
        fields past the header's width), which land as JSON."""
        firsts = {c: self.columns.index(c) for c in set(self.columns) if c is not None}
        kept = set(firsts.values())
        return sorted(v for i, v in enumerate(record.fields) if i not in kept and v != "")


def _line_breaks(text: str) -> int:
    return len(re.findall(r"\r\n|\r|\n", text))


def _display_name(column: str, style: int) -> str:
    words = column.split("_")
    return [
        column,
        " " + " ".join(w.capitalize() for w in words),
        column.upper(),
        " ".join(words).title() + "  ",
    ][style]


@st.composite
def values(draw, column: str | None, legacy: bool, plain: bool = False) -> str:
    """One field's value: valid for its column, an extreme, assembled from pieces, or
    long (``plain``: valid or an extreme only)."""
    kinds = (
        ["valid", "extreme"] if plain else ["valid", "valid", "extreme", "pieces", "pieces", "long"]
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "valid" and column is not None:
        value = draw(st.sampled_from(VALID[column]))
        return value if not legacy else value.encode("cp1252", "replace").decode("cp1252")
    if kind == "extreme":
        return draw(st.sampled_from(EXTREMES))
    if kind == "long" and draw(st.integers(0, 9)) == 0:
        length = draw(st.integers(*LONG_LENGTHS))
        piece = draw(st.sampled_from(["x", "é,", '"\n']))
        return piece * (length // len(piece) + 1)
    pieces = ASCII_PIECES + (LEGACY_PIECES if legacy else UNICODE_PIECES + LEGACY_PIECES)
    return "".join(draw(st.lists(st.sampled_from(pieces), max_size=6)))


def _quoted(draw, value: str) -> str:
    must = any(c in value for c in ",\r\n") or value.startswith('"')
    if must or draw(st.integers(0, 3)) == 0:
        return '"' + value.replace('"', '""') + '"'
    return value  # a quote inside stays as it is: a stray quote


@st.composite
def headers(draw, folder: str) -> tuple[list[str], list[str | None]]:
    """Header names as exported, and the contract column each stands for (None: an
    extra column)."""
    spec = SPECS[folder]
    keep_required = draw(st.integers(0, 7)) > 0
    columns = [c for c in spec.columns if c in spec.required and keep_required]
    columns += draw(st.lists(st.sampled_from(spec.columns), unique=True, max_size=6))
    columns = list(dict.fromkeys(columns))
    extras = draw(
        st.lists(st.sampled_from(["", "note", "User OS Share", "Unnamed: 0"]), max_size=2)
    )
    columns += [None] * len(extras)
    if columns and draw(st.integers(0, 5)) == 0:  # a column named twice
        columns.append(draw(st.sampled_from([c for c in columns if c] or [None])))
    order = draw(st.permutations(range(len(columns))))
    columns = [columns[i] for i in order]
    names, extra_names = [], iter(extras + ["dup"] * 3)
    for column in columns:
        names.append(
            _display_name(column, draw(st.integers(0, 3))) if column else next(extra_names)
        )
    if not columns:
        names, columns = ["note"], [None]
    if not ",".join(names).strip():  # a blank header line would not be the header
        names[0] = "note"
    return names, columns


@st.composite
def exports(draw, folder: str, name: str) -> Export:
    """One landing file of ``folder`` (its name ends as the kind of file requires)."""
    kind = draw(
        st.sampled_from(["csv"] * 12 + ["header_only", "zero_bytes", "binary", "not_data", "gz"])
    )
    if kind == "zero_bytes":
        return Export(folder, f"{name}.csv", b"", columns=None)
    if kind in ("binary", "not_data"):
        data = draw(st.binary(min_size=1, max_size=400))
        if kind == "binary":
            return Export(folder, f"{name}.csv", data, binary=True)
        other = draw(st.sampled_from([".png", ".xlsx", ".csv#", ".json", ".csv.bak"]))
        hidden = "." if draw(st.booleans()) else ""
        return Export(folder, f"{hidden}{name}{other}", data, landed=False)
    names, columns = draw(headers(folder))
    # A plain file (valid values and extremes, LF or CRLF, no blank or ragged line) is
    # one the fast path may take; the others mostly go to the tolerant reader.
    plain = draw(st.integers(0, 2)) == 0
    eol_kind = draw(st.sampled_from(["\n", "\r\n"] if plain else ["\n", "\r\n", "\r", "mixed"]))

    def eol() -> str:
        return draw(st.sampled_from(EOLS)) if eol_kind == "mixed" else eol_kind

    bom = draw(st.booleans())
    chunks: list[bytes] = [b"\xef\xbb\xbf" if bom else b""]
    previous_eol = eol()
    chunks.append((",".join(names) + previous_eol).encode("utf-8"))
    line = 2
    records = []
    last_is_record = False
    count = 0 if kind == "header_only" else draw(st.integers(0, 12))
    for _ in range(count):
        if not plain and draw(st.integers(0, 9)) == 0:  # a blank line (no record)
            blank = draw(st.sampled_from(["", " ", "\t"]))
            this_eol = eol()
            if not blank and previous_eol == "\r" and this_eol.startswith("\n"):
                blank = " "  # "\r" + "\n" would be one line end
            chunks.append((blank + this_eol).encode())
            previous_eol = this_eol
            line += 1
            last_is_record = False
            continue
        legacy = draw(st.integers(0, 3)) == 0
        width = len(columns) + (0 if plain else draw(st.sampled_from([0] * 8 + [-1, 1, 2])))
        fields = [
            draw(values(columns[i] if i < len(columns) else None, legacy, plain))
            for i in range(max(width, 1))
        ]
        text = ",".join(_quoted(draw, value) for value in fields)
        if not text.strip():
            # Renders as a blank line: not a record.
            fields = fields[:-1] + [fields[-1] + "z"]
            text = ",".join(_quoted(draw, value) for value in fields)
        records.append(Record(line, fields))
        previous_eol = eol()
        chunks.append((text + previous_eol).encode("cp1252" if legacy else "utf-8"))
        line += 1 + _line_breaks(text)
        last_is_record = True
    if records and last_is_record and draw(st.booleans()):  # no line end at the end
        chunks[-1] = chunks[-1][: -len(previous_eol)]
    data = b"".join(chunks)
    if kind == "gz":
        return Export(folder, f"{name}.csv.gz", gzip.compress(data, mtime=0), columns, records)
    return Export(folder, f"{name}.csv", data, columns, records)


@st.composite
def landings(draw, folders=tuple(SPECS), min_files: int = 0, max_files: int = 3) -> list[Export]:
    """A landing: for each folder, ``min_files`` to ``max_files`` files."""
    files = []
    for folder in folders:
        count = draw(st.integers(min_files, max_files))
        for number in range(count):
            files.append(draw(exports(folder, f"f{number}")))
    return files


def write_landing(raw_dir: Path, files: list[Export]) -> None:
    for export in files:
        path = raw_dir / export.relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(export.data)
