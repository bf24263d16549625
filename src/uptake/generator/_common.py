"""Shared helpers of the synthetic data generator: calendar, sampling, text formatting, writers.

Time is carried as integer seconds (or microseconds) since ``EPOCH`` (2023-01-01 00:00:00,
naive, read as UTC). Days are integers relative to the same epoch. Every text value is built
with pyarrow compute kernels or lookup tables, never with a Python loop per row.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EPOCH = dt.date(2023, 1, 1)
EPOCH_UNIX = 1_672_531_200  # 2023-01-01T00:00:00Z
DAY = 86_400
EPOCH_WEEKDAY = EPOCH.weekday()  # Monday=0 … Sunday=6 (2023-01-01 is a Sunday)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Range covered by the date lookup tables (days relative to EPOCH): 2021-01-01 … 2025-12-31.
_MIN_DAY = (dt.date(2021, 1, 1) - EPOCH).days
_MAX_DAY = (dt.date(2025, 12, 31) - EPOCH).days

CSV_CHUNK_ROWS = 500_000
PARQUET_PART_ROWS = 4_000_000


def day_of(date: str) -> int:
    """Day number (relative to EPOCH) of an ISO date string."""
    return (dt.date.fromisoformat(date) - EPOCH).days


def weekday(day: np.ndarray | int) -> np.ndarray | int:
    """Weekday (Monday=0) of day numbers."""
    return (day + EPOCH_WEEKDAY) % 7


# --------------------------------------------------------------------------- sampling


def normalise(p: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(p, dtype=float)
    return a / a.sum()


def sample_p(rng: np.random.Generator, p: Sequence[float] | np.ndarray, size: int) -> np.ndarray:
    """Draw ``size`` category indices 0..k-1 with probabilities proportional to ``p``."""
    c = np.cumsum(np.asarray(p, dtype=float))
    c /= c[-1]
    idx = np.searchsorted(c, rng.random(size), side="right")
    return np.minimum(idx, len(c) - 1)


def sample_conditional(rng: np.random.Generator, cond: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Draw one category per element; row ``cond[i]`` of ``table`` holds its probabilities."""
    cdf = np.cumsum(np.asarray(table, dtype=float), axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(cond))
    out = np.empty(len(cond), dtype=np.int64)
    for k in range(cdf.shape[0]):  # one pass per condition value, not per row
        m = cond == k
        out[m] = np.searchsorted(cdf[k], u[m], side="right")
    return np.minimum(out, cdf.shape[1] - 1)


def sample_seconds_of_day(
    rng: np.random.Generator, hour_profile: np.ndarray, size: int
) -> np.ndarray:
    """Seconds after midnight: hour from the 24-value profile, uniform inside the hour."""
    return sample_p(rng, hour_profile, size) * 3600 + rng.integers(0, 3600, size)


def geometric0(rng: np.random.Generator, mean: float | np.ndarray, size: int) -> np.ndarray:
    """Geometric variates on 0, 1, 2, … with the given mean (array means allowed)."""
    return rng.geometric(1.0 / (1.0 + np.asarray(mean, dtype=float)), size) - 1


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For per-parent counts, return (parent index, 0-based offset) of every child."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    offset = np.arange(len(parent)) - first[parent]
    return parent, offset


def with_duplicates(rng: np.random.Generator, n: int, frac: float) -> tuple[np.ndarray, int]:
    """Row order with about ``frac`` exact duplicates inserted (half adjacent, half anywhere).

    Returns the index array into the n original rows and the number of duplicates added.
    """
    if n == 0:
        return np.arange(0), 0
    k = min(n, max(1, int(rng.binomial(n, frac))))
    src = np.sort(rng.choice(n, size=k, replace=False))
    adjacent = rng.random(k) < 0.5
    pos = np.where(adjacent, src + 1, rng.integers(0, n + 1, k))
    return np.insert(np.arange(n), pos, src), k


# --------------------------------------------------------------------------- text formatting


@functools.cache
def _tables() -> dict[str, pa.Array]:
    days = np.arange(_MIN_DAY, _MAX_DAY + 1)
    dates = np.datetime64(EPOCH.isoformat(), "D") + days
    iso = np.datetime_as_string(dates, unit="D")
    ymd = iso.astype("U10")
    months = np.array(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
    yyyy = np.strings.slice(ymd, 0, 4)
    mm = np.strings.slice(ymd, 5, 7).astype(int) - 1
    dd = np.strings.slice(ymd, 8, 10)
    dmy = np.strings.add(np.strings.add(np.strings.add(dd, "-"), months[mm]), "-")
    dmy = np.strings.add(dmy, yyyy)
    sec = np.arange(DAY)
    h, m, s = sec // 3600, (sec // 60) % 60, sec % 60
    two = np.array([f"{i:02d}" for i in range(60)])
    hms_tail = np.strings.add(np.strings.add(two[m], ":"), two[s])
    hms_pad = np.strings.add(np.strings.add(two[h], ":"), hms_tail)
    hms_nopad = np.strings.add(np.strings.add(h.astype(str), ":"), hms_tail)
    return {
        "iso": pa.array(ymd),
        "dmy": pa.array(dmy),
        "hms_pad": pa.array(hms_pad),
        "hms_nopad": pa.array(hms_nopad),
    }


def take(values: Sequence[str] | np.ndarray | pa.Array, idx: np.ndarray) -> pa.Array:
    """Vectorised lookup: values[idx] as a pyarrow string array."""
    arr = values if isinstance(values, pa.Array) else pa.array(np.asarray(values, dtype=str))
    return pc.take(arr, pa.array(np.asarray(idx, dtype=np.int64)))


def int_text(x: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(x, dtype=np.int64)), pa.string())


def blank_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    """Replace values by the empty string where mask is true."""
    if not np.any(mask):
        return arr
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), "", arr)


def const(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, dtype=object), type=pa.string())


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def iso_date(day: np.ndarray) -> pa.Array:
    return take(_tables()["iso"], np.asarray(day) - _MIN_DAY)


def dmy_date(day: np.ndarray) -> pa.Array:
    """Dates like ``21-Aug-2017``."""
    return take(_tables()["dmy"], np.asarray(day) - _MIN_DAY)


def clock(seconds_of_day: np.ndarray, *, pad_hour: bool) -> pa.Array:
    """Times like ``14:05:09`` (pad_hour) or ``2:16:47`` (no leading zero on the hour)."""
    return take(_tables()["hms_pad" if pad_hour else "hms_nopad"], seconds_of_day)


def iso_datetime(ts: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS`` from seconds since EPOCH."""
    ts = np.asarray(ts, dtype=np.int64)
    return join(iso_date(ts // DAY), clock(ts % DAY, pad_hour=True), sep=" ")


def iso_datetime_us(ts_us: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` from microseconds since EPOCH."""
    ts_us = np.asarray(ts_us, dtype=np.int64)
    sec, us = ts_us // 1_000_000, ts_us % 1_000_000
    frac = pc.utf8_lpad(int_text(us), 6, "0")
    return join(iso_datetime(sec), frac, sep=".")


def csv_quote(arr: pa.Array, mode: str) -> pa.Array:
    """CSV quoting. mode: "never", "auto" (only when needed) or "always" (non-empty values)."""
    if mode == "never":
        return arr
    quoted = join('"', pc.replace_substring(arr, '"', '""'), '"')
    always = mode == "always"
    need = pc.not_equal(arr, "") if always else pc.match_substring_regex(arr, '[,"\r\n]')
    return pc.if_else(need, quoted, arr)


def lines_bytes(cols: Sequence[pa.Array], sep: str = ",", newline: str = "\n") -> bytes:
    """Join string columns into CSV lines and return the raw UTF-8 bytes (no Python loop)."""
    line = join(*cols, sep=sep) if len(cols) > 1 else cols[0]
    line = join(line, "", sep=newline)
    if isinstance(line, pa.ChunkedArray):
        line = line.combine_chunks()
    if len(line) == 0:
        return b""
    offsets = np.frombuffer(line.buffers()[1], dtype=np.int32)
    lo, hi = offsets[line.offset], offsets[line.offset + len(line)]
    return memoryview(line.buffers()[2])[lo:hi].tobytes()


# --------------------------------------------------------------------------- writers

ChunkFn = Callable[[int, int], list[pa.Array]]


class LandingWriter:
    """Writes one logical table as CSV (one file, in chunks) or Parquet (one or more parts)."""

    def __init__(self, out_dir: Path, fmt: str) -> None:
        self.out_dir = out_dir
        self.fmt = fmt
        self.files: dict[str, int] = {}

    def write(
        self,
        folder: str,
        stem: str,
        *,
        header_line: str,
        parquet_names: Sequence[str],
        quote: Sequence[str],
        n_rows: int,
        chunk_fn: ChunkFn,
        encoding: str = "utf-8",
        newline: str = "\n",
        split: bool = True,
    ) -> None:
        """Write rows [0, n_rows) produced chunk by chunk by ``chunk_fn(start, stop)``.

        ``chunk_fn`` returns raw string columns (empty string = missing). CSV quoting and the
        file encoding are applied here; Parquet stores all columns as strings with nulls for
        empty values.
        """
        folder_path = self.out_dir / folder
        folder_path.mkdir(parents=True, exist_ok=True)
        if self.fmt == "csv":
            self._write_csv(
                folder_path / f"{stem}.csv", header_line, quote, n_rows, chunk_fn, encoding, newline
            )
        else:
            self._write_parquet(folder_path, stem, parquet_names, n_rows, chunk_fn, split)

    def _write_csv(self, path, header_line, quote, n_rows, chunk_fn, encoding, newline) -> None:
        with open(path, "wb") as fh:
            fh.write((header_line + newline).encode(encoding))
            for start in range(0, n_rows, CSV_CHUNK_ROWS):
                stop = min(n_rows, start + CSV_CHUNK_ROWS)
                cols = [csv_quote(c, q) for c, q in zip(chunk_fn(start, stop), quote, strict=True)]
                data = lines_bytes(cols, newline=newline)
                if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
                    data = data.decode("utf-8").encode(encoding)  # strict: fails loudly
                fh.write(data)
        self.files[path.relative_to(self.out_dir).as_posix()] = n_rows

    def _write_parquet(self, folder_path, stem, names, n_rows, chunk_fn, split) -> None:
        schema = pa.schema([pa.field(n, pa.string()) for n in names])
        part_rows = PARQUET_PART_ROWS if split else max(n_rows, 1)
        n_parts = max(1, -(-n_rows // part_rows))
        for part in range(n_parts):
            name = f"{stem}.parquet" if n_parts == 1 else f"{stem}-{part:03d}.parquet"
            path = folder_path / name
            p_start, p_stop = part * part_rows, min(n_rows, (part + 1) * part_rows)
            with pq.ParquetWriter(path, schema, compression="zstd") as w:
                if p_stop <= p_start:
                    w.write_table(schema.empty_table())
                for start in range(p_start, p_stop, 1_000_000):
                    stop = min(p_stop, start + 1_000_000)
                    cols = [
                        pc.if_else(pc.equal(c, ""), pa.scalar(None, pa.string()), c)
                        for c in chunk_fn(start, stop)
                    ]
                    w.write_table(pa.Table.from_arrays(cols, schema=schema))
            self.files[path.relative_to(self.out_dir).as_posix()] = p_stop - p_start
