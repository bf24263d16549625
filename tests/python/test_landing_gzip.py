"""Gzipped CSV exports land as their plain form would, and every file a run does not
land is named with the reason."""

from __future__ import annotations

import gzip
import shutil

import pytest
from conftest import FIXTURES
from test_landing_fast import landed_in_a_raw_table

from uptake.landing import SPECS, LandingFileError, load_folder, skipped_files


def _rows(table, rename=lambda name: name):
    return sorted(
        tuple(rename(v) if k == "_source_file" else v for k, v in row.items())
        for row in table.to_pylist()
    )


@pytest.fixture
def compressed(tmp_path):
    """The share/view and users fixtures, each CSV gzipped (the 8-bit, quoted, broken
    and extra-column records included), the Parquet file as it is."""
    raw = tmp_path / "raw"
    for folder in ("share_view", "users"):
        (raw / folder).mkdir(parents=True)
        for path in sorted((FIXTURES / folder).iterdir()):
            if path.suffix == ".csv":
                with (
                    path.open("rb") as src,
                    gzip.open(raw / folder / (path.name + ".gz"), "wb") as out,
                ):
                    shutil.copyfileobj(src, out)
            else:
                shutil.copy(path, raw / folder / path.name)
    return raw


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("source", ["share_view", "users"])
def test_a_gzipped_csv_lands_like_its_plain_form(compressed, source, fast):
    plain, _ = load_folder(FIXTURES, source, fast=fast)
    packed, reports = load_folder(compressed, source, fast=fast)
    assert packed.num_rows == plain.num_rows > 0
    # The same rows, named after the compressed file.
    assert _rows(packed) == _rows(
        plain, lambda name: name + ".gz" if name.endswith(".csv") else name
    )
    assert {r.path for r in reports} == {
        f"{source}/{p.name}" for p in (compressed / source).iterdir()
    }


@pytest.mark.parametrize("source", ["share_view", "users"])
def test_a_gzipped_csv_lands_in_the_raw_table_like_its_plain_form(compressed, source):
    """The dbt plugin's way: one insert per file into a DuckDB table."""
    plain, _ = landed_in_a_raw_table(FIXTURES, source)
    packed, _ = landed_in_a_raw_table(compressed, source)
    assert len(packed) == len(plain) > 0
    renamed = [
        {**row, "_source_file": row["_source_file"] + ".gz"}
        if row["_source_file"].endswith(".csv")
        else row
        for row in plain
    ]
    key = lambda row: (row["_source_file"], row["_source_line"])  # noqa: E731
    assert sorted(packed, key=key) == sorted(renamed, key=key)


def test_a_broken_gzip_file_stops_with_its_name(tmp_path):
    folder = tmp_path / "logins"
    folder.mkdir()
    (folder / "day.csv.gz").write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    with pytest.raises(LandingFileError, match=r"day\.csv\.gz: not a readable gzip file"):
        load_folder(tmp_path, "logins")


def test_files_not_landed_are_listed_with_their_reason(tmp_path):
    folder = tmp_path / "page_events"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.csv", "b.csv.gz", "c.parquet.gz", "notes.xlsx", ".~lock.a.csv#", "sub/d.json"):
        (folder / name).write_bytes(b"")
    skipped = {
        p.relative_to(tmp_path).as_posix(): reason
        for p, reason in skipped_files(tmp_path, SPECS["page_events"])
    }
    assert set(skipped) == {
        "page_events/c.parquet.gz",
        "page_events/notes.xlsx",
        "page_events/.~lock.a.csv#",
        "page_events/sub/d.json",
    }
    assert skipped["page_events/.~lock.a.csv#"].startswith("hidden file")
    assert skipped["page_events/notes.xlsx"].startswith("not a data file")
