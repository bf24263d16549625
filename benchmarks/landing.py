"""Hold back the last day of each landing source, then append it as new files: the one
day of new data that the incremental build of the benchmark takes in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

FOLDERS = ("users", "logins", "page_events", "share_view")
# The column that dates a landing row (matched on the stripped, lower-cased header) and
# how its text becomes a date.
EVENT_DATE = {
    "users": ("creation_time", "iso"),
    "logins": ("time_stamp", "iso"),
    "page_events": ("ts", "iso"),
    "share_view": ("last activity date", "dd-mon-yyyy"),
}


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _date_expression(columns: list[str], folder: str) -> str:
    wanted, kind = EVENT_DATE[folder]
    names = [c for c in columns if c.strip().lower().replace("_", " ") == wanted.replace("_", " ")]
    if not names:
        raise ValueError(f"{folder}: no column {wanted!r} among {columns}")
    col = '"' + names[0].replace('"', '""') + '"'
    if kind == "iso":
        return f"try_cast(left(trim({col}), 10) as date)"
    return f"cast(try_strptime(trim({col}), '%d-%b-%Y') as date)"


def hold_back(generated: Path, landing: Path, held: Path) -> dict:
    """Copy ``generated`` to ``landing`` without each source's last day, kept in ``held``."""
    import duckdb

    for path in (landing, held):
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
    report = {}
    with duckdb.connect() as conn:
        for folder in FOLDERS:
            files = sorted(p for p in (generated / folder).rglob("*.parquet") if p.is_file())
            exprs = {}
            last = None
            for f in files:
                columns = [
                    r[0]
                    for r in conn.execute(
                        f"describe select * from read_parquet({sql_text(str(f))})"
                    ).fetchall()
                ]
                exprs[f] = _date_expression(columns, folder)
                (m,) = conn.execute(
                    f"select max({exprs[f]}) from read_parquet({sql_text(str(f))})"
                ).fetchone()
                if m is not None and (last is None or m > last):
                    last = m
            rows = held_rows = 0
            held_files = []
            for f in files:
                # Two passes over the file (COPY returns the rows it wrote); no count pass.
                source = f"read_parquet({sql_text(str(f))})"
                is_last = f"coalesce({exprs[f]} = date '{last}', false)"
                target = landing / f.relative_to(generated)
                target.parent.mkdir(parents=True, exist_ok=True)
                (n_rest,) = conn.execute(
                    f"copy (select * from {source} where not {is_last}) "
                    f"to {sql_text(str(target))} (format parquet, compression zstd)"
                ).fetchone()
                kept = held / folder / f.name
                kept.parent.mkdir(parents=True, exist_ok=True)
                (n_last,) = conn.execute(
                    f"copy (select * from {source} where {is_last}) "
                    f"to {sql_text(str(kept))} (format parquet, compression zstd)"
                ).fetchone()
                rows += n_rest + n_last
                held_rows += n_last
                if n_last:
                    held_files.append(kept.relative_to(held).as_posix())
                else:
                    kept.unlink()
            report[folder] = {
                "files": len(files),
                "rows": rows,
                "last_date": str(last) if last else None,
                "held_back_rows": held_rows,
                "held_back_files": held_files,
            }
    (held / "held_back.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def append_held_back(landing: Path, held: Path, holdback: dict) -> list[str]:
    """Move the held-back files into the landing folders as new files; never overwrite one."""
    moved = []
    for folder, info in holdback.items():
        stamp = (info["last_date"] or "none").replace("-", "")
        for rel in info["held_back_files"]:
            source = held / rel
            name = Path(rel).name
            if folder == "share_view":  # the stem is the customer code: keep it
                target = landing / folder / f"appended_{stamp}" / name
            else:
                stem = Path(name).stem
                target = landing / folder / f"zz_appended_{stamp}_{stem}.parquet"
            if target.exists():
                raise FileExistsError(f"{target} exists: the landing is append-only")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
            moved.append(target.relative_to(landing).as_posix())
    return moved


# ------------------------------------------------------------- CSV landing speed
# `python -m benchmarks.landing RAW_DIR [--tolerant]`: land each source's CSV files of
# RAW_DIR once, each source in a child process of its own, batches handed to a sink that
# drops them (so the figures are the reader's own: no warehouse write), and print
# rows/s and the child's peak RSS per source.


def _land_csv_child(raw_dir: str, source: str, fast: bool) -> None:
    import resource
    import time

    from uptake.landing import SPECS, land_folder, landing_files

    files = [p for p in landing_files(Path(raw_dir), SPECS[source]) if p.suffix == ".csv"]
    landed: dict[str, int] = {}

    def sink(batch) -> None:
        file = batch.column(0)[0].as_py()
        landed[file] = landed.get(file, 0) + batch.num_rows

    def retract(relative: str) -> None:
        landed.pop(relative, None)

    start = time.perf_counter()
    reports = land_folder(raw_dir, source, sink, retract, files, fast=fast)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    readers = sorted({r.reader for r in reports})
    rows = sum(landed.values())
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(
        json.dumps(
            {
                "source": source,
                "reader": "fast" if fast else "tolerant",
                "files": len(files),
                "size_mb": round(size_mb, 1),
                "rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(rows / seconds) if seconds else None,
                "peak_rss_mb": round(peak_mb),
                "readers_used": readers,
            }
        )
    )


def csv_landing_speed(raw_dir: Path, fast: bool = True, sources=FOLDERS) -> list[dict]:
    """Rows/s and peak RSS of landing each source's CSV files, one child process each."""
    import subprocess
    import sys

    results = []
    for source in sources:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.landing", str(raw_dir), source]
            + ([] if fast else ["--tolerant"]),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="CSV landing speed per source")
    parser.add_argument("raw_dir")
    parser.add_argument("source", nargs="?", help="one source, in this process")
    parser.add_argument("--tolerant", action="store_true", help="the tolerant reader only")
    args = parser.parse_args()
    if args.source:
        _land_csv_child(args.raw_dir, args.source, fast=not args.tolerant)
    else:
        for result in csv_landing_speed(Path(args.raw_dir), fast=not args.tolerant):
            print(json.dumps(result))
