"""The fast CSV path (DuckDB's reader plus a proof) lands exactly what the tolerant
reader lands, and falls back to it, file by file, when it cannot prove that."""

from __future__ import annotations

import random
import subprocess
import sys

import duckdb
import pytest
from conftest import FIXTURES

from uptake import landing
from uptake.landing import SPECS, RawTable, load_folder


def landed_in_a_raw_table(raw_dir, source) -> tuple[list[dict], list]:
    """The rows as the dbt plugin lands them: into a DuckDB table, in one transaction
    (a statement that failed inside it would make the commit fail), in no order."""
    with duckdb.connect(config={"threads": 2, "preserve_insertion_order": False}) as conn:
        conn.execute("create schema raw")
        table = RawTable(conn, "raw.landed", source)
        conn.execute("begin transaction")
        table.create()
        reports = table.land(raw_dir)
        conn.execute("commit")
        rows = conn.execute(
            "select * from raw.landed order by _source_file, _source_line"
        ).to_arrow_table()
        assert table.rows == rows.num_rows
        return rows.to_pylist(), reports


def both(raw_dir, source):
    tolerant, _ = load_folder(raw_dir, source, fast=False)
    fast, reports = load_folder(raw_dir, source)
    assert fast.schema == tolerant.schema
    assert fast.to_pylist() == tolerant.to_pylist()
    landed, landed_reports = landed_in_a_raw_table(raw_dir, source)
    assert landed == tolerant.to_pylist()
    readers = {r.path: r.reader for r in reports}
    assert {r.path: r.reader for r in landed_reports} == readers
    return readers


@pytest.mark.parametrize("source", sorted(SPECS))
def test_fast_path_equals_tolerant_reader_on_the_fixtures(source):
    readers = both(FIXTURES, source)
    # The clean files take the fast path, and so do the legacy 8-bit ones (through a
    # UTF-8 copy); the quirky ones fall back.
    expected = {
        "share_view": {
            "share_view/ES.csv": "duckdb",
            "share_view/IS.csv": "duckdb",
            "share_view/YB.csv": "python",
        },
        "logins": {"logins/logins.csv": "duckdb"},
        "page_events": {"page_events/page_events.csv": "duckdb"},
        "users": {"users/users.csv": "duckdb"},
    }[source]
    assert {path: readers[path] for path in expected} == expected


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [sys.executable, "-m", "uptake.cli", "generate", "--out", str(out), "--scale", "0.05"],
        check=True,
        capture_output=True,
    )
    return out


# Planted in a copy of a generated logins file: (name, how the text changes, reader).
PLANTED = [
    ("clean", lambda t: t, "duckdb"),
    ("crlf", lambda t: t.replace("\n", "\r\n"), "duckdb"),
    ("bom", lambda t: "\ufeff" + t, "duckdb"),
    ("no_final_newline", lambda t: t.rstrip("\n"), "duckdb"),
    ("quoted_commas", lambda t: t.replace(",1\n", ',"1, ""x"" "\n', 50), "duckdb"),
    ("quoted_newline", lambda t: t.replace(",1\n", ',"1\n2"\n', 1), "python"),
    ("blank_lines", lambda t: t.replace("\n", "\n\n", 3), "python"),
    ("ragged_row", lambda t: t.replace(",1\n", ",1,extra\n", 1), "python"),
    ("short_row", lambda t: t.replace(",1\n", "\n", 1), "python"),
    ("lone_cr", lambda t: t.replace(",1\n", ",1\r", 1), "python"),
    ("form_feed", lambda t: t.replace(",1\n", ",1\x0c\n", 1), "python"),
    ("line_separator", lambda t: t.replace(",1\n", ",1\u2028x\n", 1), "python"),
    ("space_after_quote", lambda t: t.replace(",1\n", ',"1" \n', 1), "python"),
    ("quote_inside_value", lambda t: t.replace(",1\n", ',1"x\n', 1), "duckdb"),
    ("text_after_quote", lambda t: t.replace(",1\n", ',"1"x\n', 1), "python"),
    # (earlier in the file, the tolerant reader would exceed csv's field size limit)
    ("unclosed_quote", lambda t: t + '2014-05-01,"1,1\n', "python"),
    ("extra_column", lambda t: t.replace(",visited\n", ",visited,note\n", 1), "python"),
    ("trailing_column", lambda t: t.replace("\n", ",\n"), "duckdb"),
    ("tab_in_extra", lambda t: t.replace("\n", ",a\tb\n"), "duckdb"),
    ("control_in_extra", lambda t: t.replace("\n", ",a\x01b\n"), "python"),
    ("missing_required", lambda t: t.replace("user_id", "uid", 1), "python"),
]


@pytest.mark.parametrize(("name", "plant", "reader"), PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_quirks_land_alike_and_unprovable_files_fall_back(
    generated, tmp_path, name, plant, reader
):
    text = (generated / "logins" / "logins.csv").read_text(encoding="utf-8")
    (tmp_path / "logins").mkdir()
    (tmp_path / "logins" / f"{name}.csv").write_text(plant(text), encoding="utf-8", newline="")
    readers = both(tmp_path, "logins")
    assert readers == {f"logins/{name}.csv": reader}


# Planted in a copy of a generated page events file, whose leading index column is an
# extra column (its JSON is built in SQL): the plain JSON (no value of the file needs
# json.dumps's escapes), each byte that calls for the escaped JSON, and what refuses it.
PLANTED_EXTRAS = [
    ("clean", lambda t: t, "duckdb"),
    ("empty_index", lambda t: t.replace("\n5,", "\n,", 1), "duckdb"),
    ("backslash_in_index", lambda t: t.replace("\n5,", "\n5\\x\\,", 1), "duckdb"),
    ("quote_in_index", lambda t: t.replace("\n5,", '\n"5""x",', 1), "duckdb"),
    ("tab_in_index", lambda t: t.replace("\n5,", "\n5\tx,", 1), "duckdb"),
    ("backslash_in_page", lambda t: t.replace("\n", "\\\n", 3), "duckdb"),
    ("control_in_page", lambda t: t.replace("\n", "\x01\n", 3), "duckdb"),
    ("control_in_index", lambda t: t.replace("\n5,", "\n5\x01,", 1), "python"),
    ("quoted_cr_lf_in_index", lambda t: t.replace("\n5,", '\n"5\r\n",', 1), "python"),
    ("two_extras", lambda t: t.replace("\n", ",x\n"), "duckdb"),
    (
        "two_extras_escaped",
        lambda t: t.replace("\n", ',"a\\""b"\n').replace(',"a\\""b"', ",note", 1),
        "duckdb",
    ),
    ("two_extras_one_empty", lambda t: t.replace("\n", ",\n"), "duckdb"),
]


@pytest.mark.parametrize(
    ("name", "plant", "reader"), PLANTED_EXTRAS, ids=[p[0] for p in PLANTED_EXTRAS]
)
def test_extra_column_json_lands_alike(generated, tmp_path, monkeypatch, name, plant, reader):
    monkeypatch.setattr(landing, "BATCH_ROWS", 1000)
    text = (generated / "page_events" / "page_events.csv").read_text(encoding="utf-8")
    (tmp_path / "page_events").mkdir()
    path = tmp_path / "page_events" / f"{name}.csv"
    path.write_text(plant(text), encoding="utf-8", newline="")
    assert both(tmp_path, "page_events") == {f"page_events/{name}.csv": reader}


# Planted in a copy of a generated logins file, as bytes: legacy 8-bit bytes (the file
# is not UTF-8) with and without what the fast path refuses in the UTF-8 copy too.
PLANTED_8_BIT = [
    ("cp1252", lambda b: b + b"2014-05-01 10:00:00,caf\xe9 \x93x\x94,1\n", "duckdb"),
    ("cp1252_crlf", lambda b: (b + b"2014-05-01,caf\xe9,1\n").replace(b"\n", b"\r\n"), "duckdb"),
    ("bom_cp1252", lambda b: b"\xef\xbb\xbf" + b.replace(b",1\n", b",\xe9\n", 1), "duckdb"),
    ("bom_twice", lambda b: b"\xef\xbb\xbf\xef\xbb\xbf" + b + b"x,\xe9,1\n", "duckdb"),
    # 0x81 is not cp1252: the line decodes as Latin-1, where 0x85 is a line break of
    # str.splitlines (but not of the tolerant reader's byte split)
    ("latin1_next_line", lambda b: b.replace(b",1\n", b",\x81\x85,1\n", 1), "python"),
    ("cp1252_lone_cr", lambda b: b.replace(b",1\n", b",\xe9\r1\n", 1), "python"),
    ("cp1252_quoted_newline", lambda b: b.replace(b",1\n", b',"\xe9\n"\n', 1), "python"),
    ("cp1252_header", lambda b: b.replace(b"visited", b"visit\xe9", 1), "duckdb"),
]


@pytest.mark.parametrize(
    ("name", "plant", "reader"), PLANTED_8_BIT, ids=[p[0] for p in PLANTED_8_BIT]
)
def test_legacy_8_bit_files_land_alike_through_a_utf_8_copy(
    generated, tmp_path, monkeypatch, name, plant, reader
):
    monkeypatch.setattr(landing, "BATCH_ROWS", 1000)
    (tmp_path / "logins").mkdir()
    path = tmp_path / "logins" / f"{name}.csv"
    path.write_bytes(plant((generated / "logins" / "logins.csv").read_bytes()))
    assert both(tmp_path, "logins") == {f"logins/{name}.csv": reader}
    _, reports = load_folder(tmp_path, "logins")
    if reader == "duckdb":
        assert "cp1252" in reports[0].encodings or "latin-1" in reports[0].encodings
    else:
        assert "its UTF-8 copy" in reports[0].fallback


@pytest.mark.parametrize("source", sorted(SPECS))
def test_fast_path_equals_tolerant_reader_on_generated_files(generated, source):
    readers = both(generated, source)
    assert "duckdb" in readers.values() or source == "users"  # users is Latin-1


def test_unproven_file_after_batches_is_retracted(generated, tmp_path, monkeypatch):
    """The proof fails only at the end (a quoted line end makes fewer records than
    lines), after batches went out: they are taken back, so no row lands twice."""
    monkeypatch.setattr(landing, "BATCH_ROWS", 100)
    text = (generated / "logins" / "logins.csv").read_text(encoding="utf-8")
    head, tail = text[: len(text) * 9 // 10], text[len(text) * 9 // 10 :]
    (tmp_path / "logins").mkdir()
    (tmp_path / "logins" / "a.csv").write_text(head + tail.replace(",1\n", ',"1\n"\n', 1))
    fast, reports = load_folder(tmp_path, "logins")
    assert reports[0].reader == "python" and "records on" in reports[0].fallback
    tolerant, _ = load_folder(tmp_path, "logins", fast=False)
    assert fast.to_pylist() == tolerant.to_pylist()
    landed, reports = landed_in_a_raw_table(tmp_path, "logins")
    assert reports[0].reader == "python" and "records on" in reports[0].fallback
    assert landed == tolerant.to_pylist()


def test_chunked_tolerant_reader_equals_whole_file_reading(monkeypatch):
    """Lines split across chunks (a \\r\\n cut in two, a multi-byte character cut in
    two) read as they do from one chunk."""
    whole = {s: load_folder(FIXTURES, s, fast=False)[0] for s in SPECS}
    monkeypatch.setattr(landing, "CHUNK_BYTES", 7)
    monkeypatch.setattr(landing, "BATCH_ROWS", 2)
    for source in SPECS:
        assert load_folder(FIXTURES, source, fast=False)[0].equals(whole[source])
        assert load_folder(FIXTURES, source)[0].equals(whole[source])


TOKENS = ["a", "b", "1", " ", ",", '"', "é", "\t", "\r", "\n", "\x0c", "\u2028", "\x00", "€", "\\"]


def random_csv(rng: random.Random) -> str:
    header = rng.choice(["time_stamp,user_id,visited", "time_stamp,user_id,visited,", "x,ts"])
    hostile = rng.random() < 0.3
    width = header.count(",") + 1
    rows = []
    for _ in range(rng.randint(0, 8)):
        fields = []
        for _ in range(width + (hostile and rng.random() < 0.1)):
            pool = TOKENS if hostile else TOKENS[:7]
            value = "".join(rng.choice(pool) for _ in range(rng.randint(0, 4)))
            if '"' in value or "," in value or rng.random() < 0.3:
                value = '"' + value.replace('"', '""') + '"'
            if hostile and rng.random() < 0.1:
                value += rng.choice(['"', " ", "x"])
            fields.append(value)
        rows.append(",".join(fields))
    newline = rng.choice(["\n", "\r\n"])
    return header + newline + newline.join(rows) + rng.choice(["", newline])


def test_random_csv_files_land_alike(tmp_path):
    rng = random.Random(16)
    (tmp_path / "logins").mkdir()
    path = tmp_path / "logins" / "f.csv"
    readers = []
    for _ in range(300):
        path.write_text(random_csv(rng), encoding="utf-8", newline="")
        readers += both(tmp_path, "logins").values()
    assert readers.count("duckdb") > 100  # the fast path was taken, and checked, often


@pytest.mark.parametrize(
    ("name", "plant"),
    [
        ("ragged_row_late", lambda t: t.replace(",1\n", ",1,extra\n", 1)),
        # the tail starts at a line end: its first ",20" follows the index of a row
        ("control_in_index_late", lambda t: t.replace(",20", "\x01,20", 1)),
    ],
)
def test_a_refusal_met_mid_stream_ends_the_stream_not_the_transaction(
    generated, tmp_path, monkeypatch, name, plant
):
    """The fast path streams a CSV file into the raw table in one statement; a refusal
    after some batches went in ends the stream, and the rows in so far are retracted."""
    monkeypatch.setattr(landing, "BATCH_ROWS", 100)
    source = "page_events" if "index" in name else "logins"
    text = (generated / source / f"{source}.csv").read_text(encoding="utf-8")
    cut = text.index("\n", len(text) * 9 // 10)
    (tmp_path / source).mkdir()
    (tmp_path / source / "a.csv").write_text(text[:cut] + plant(text[cut:]), newline="")
    landed, reports = landed_in_a_raw_table(tmp_path, source)
    assert reports[0].reader == "python", reports[0].fallback
    tolerant, _ = load_folder(tmp_path, source, fast=False)
    assert landed == tolerant.to_pylist()
