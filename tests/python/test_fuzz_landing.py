"""Generated exports (Hypothesis; see generated_exports.py): every record of every file
lands exactly once, at its file and line, with its values as written, or with the
reason it cannot; no file is skipped without a reason; nothing crashes.

Bounded for CI by the Hypothesis profile (tests/python/conftest.py): the default
profile runs a fixed, derandomised set of examples; `HYPOTHESIS_PROFILE=long pytest
tests/python/test_fuzz_landing.py -s` runs many more, random ones. Each test prints how
many examples and records it checked.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from conftest import query, run_dbt
from generated_exports import Export, exports, landings, write_landing
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from test_landing_fast import landed_in_a_raw_table

from uptake import landing
from uptake.landing import SPECS, landing_files, load_folder, skipped_files


def check_landed(files: list[Export], rows: list[dict], counts: Counter) -> None:
    """The rows landed from one folder against the generated files' own account."""
    by_file: dict[str, dict[int, dict]] = {}
    for row in rows:
        lines = by_file.setdefault(row["_source_file"], {})
        assert row["_source_line"] not in lines, f"two rows at {row['_source_file']}"
        lines[row["_source_line"]] = row
    for export in files:
        landed = by_file.pop(export.relative, {})
        if not export.landed:
            assert not landed, f"{export.relative} is not a data file but has rows"
            continue
        if export.binary:
            # Whatever it parses to lands, every row rejected (no header names a column).
            assert all(row["_load_error"] for row in landed.values()), export.relative
            counts["binary rows"] += len(landed)
            continue
        assert sorted(landed) == [r.line for r in export.records], export.relative
        for record in export.records:
            row = landed[record.line]
            where = f"{export.relative}:{record.line}"
            for column in SPECS[export.folder].columns:
                assert row[column] == export.expected_value(record, column), (where, column)
            assert bool(row["_load_error"]) == export.rejected_on_load(record), where
            if not row["_load_error"]:
                extras = json.loads(row["_extra_columns"] or "{}")
                assert sorted(extras.values()) == export.extra_values(record), where
            counts["records"] += 1
            counts["rejected on load"] += bool(row["_load_error"])
    assert not by_file, f"rows from files never written: {sorted(by_file)}"


def check_folder(raw_dir: Path, folder: str, files: list[Export], counts: Counter) -> None:
    spec = SPECS[folder]
    skipped = {p.relative_to(raw_dir).as_posix() for p, _ in skipped_files(raw_dir, spec)}
    assert skipped == {e.relative for e in files if not e.landed}
    landed = {p.relative_to(raw_dir).as_posix() for p in landing_files(raw_dir, spec)}
    assert landed == {e.relative for e in files if e.landed}
    # The tolerant reader alone, and the dbt plugin's way (the fast path where it can
    # prove itself, into a DuckDB table in one transaction).
    tolerant, _ = load_folder(raw_dir, folder, fast=False)
    check_landed(files, tolerant.to_pylist(), Counter())
    rows, reports = landed_in_a_raw_table(raw_dir, folder)
    check_landed(files, rows, counts)
    counts["files"] += len(files)
    counts["fast path"] += sum(r.reader == "duckdb" for r in reports)


@st.composite
def folder_files(draw) -> tuple[str, list[Export]]:
    folder = draw(st.sampled_from(sorted(SPECS)))
    count = draw(st.integers(1, 3))
    return folder, [draw(exports(folder, f"f{n}")) for n in range(count)]


def test_generated_exports_land_every_record_once():
    counts: Counter = Counter()

    @given(folder_files())
    def check(generated):
        folder, files = generated
        with tempfile.TemporaryDirectory(prefix="uptake_fuzz_") as tmp:
            raw_dir = Path(tmp)
            (raw_dir / folder).mkdir()
            write_landing(raw_dir, files)
            check_folder(raw_dir, folder, files, counts)
        counts["examples"] += 1

    check()
    print(f"\ngenerated exports: {dict(counts)}")
    assert counts["examples"] >= settings().max_examples // 2
    assert counts["records"] > counts["examples"]


@pytest.mark.parametrize("fast", [True, False])
def test_a_field_past_the_csv_modules_own_limit_lands(tmp_path, fast):
    """The csv module refuses a field of more than 131,072 characters by default; the
    tolerant reader takes up to MAX_FIELD_CHARS (a quoted line end sends the file to it)."""
    (tmp_path / "logins").mkdir()
    long = "x\n" * 100_000
    (tmp_path / "logins" / "a.csv").write_text(
        f'time_stamp,user_id,visited\n2014-01-01,"{long}",1\n2014-01-02,2,1\n', newline=""
    )
    table, reports = load_folder(tmp_path, "logins", fast=fast)
    assert reports[0].reader == "python"
    assert table["_source_line"].to_pylist() == [2, 100_003]
    assert table["user_id"].to_pylist() == [long, "2"]
    assert table["_load_error"].to_pylist() == [None, None]


def test_a_quote_left_open_rejects_what_it_swallows_and_reading_goes_on(tmp_path):
    """A field longer than MAX_FIELD_CHARS (here lowered to 40): the lines read into it
    land as one rejected record with the reason and their text, and the rest lands."""
    (tmp_path / "logins").mkdir()
    (tmp_path / "logins" / "a.csv").write_text(
        'time_stamp,user_id,visited\n2014-01-01,"1,1\n2014-01-02,2,1\n2014-01-03,3,1\n'
        "2014-01-04,4,1\n2014-01-05,5,1\n",
        newline="",
    )
    with mock.patch.object(landing, "MAX_FIELD_CHARS", 40):
        table, reports = load_folder(tmp_path, "logins")
    rows = table.to_pylist()
    # The field passes 40 characters on line 5, which is the last line it swallows.
    assert [r["_source_line"] for r in rows] == [2, 6]
    assert rows[0]["_load_error"] == "a field longer than 40 characters (a quote left open?)"
    assert rows[0]["_raw_record"].startswith('2014-01-01,"1,1\n2014-01-02')
    assert rows[0]["_raw_record"].endswith("2014-01-04,4,1")
    assert rows[1]["user_id"] == "5"
    assert reports[0].malformed_records == 1


def test_a_quoted_empty_value_is_a_record_a_blank_line_is_not(tmp_path):
    (tmp_path / "logins").mkdir()
    (tmp_path / "logins" / "a.csv").write_text('user_id\n""\n   \n\n" "\n1\n', newline="")
    table, _ = load_folder(tmp_path, "logins")
    assert table["_source_line"].to_pylist() == [2, 5, 6]
    assert table["user_id"].to_pylist() == ["", " ", "1"]


STAGED_MODELS = {
    "share_view": ("share_view.activities", "staging.stg_share_view__activities"),
    "users": ("product.users", "staging.stg_product__users"),
    "logins": ("product.logins", "staging.stg_product__logins"),
    "page_events": ("product.page_events", "staging.stg_product__page_events"),
}
# dbt builds (staging, its tests and the landing audit) of whole generated landings:
# few, each a dbt run of some 30 s.
DBT_EXAMPLES = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 2


def check_build(raw_dir: Path, db: Path, files: list[Export], counts: Counter) -> None:
    selected = ["--select", "resource_type:seed", "+rpt_landing_files", "+rpt_landing_rejections"]
    result = run_dbt(["build", *selected], raw_dir, db)
    assert result.returncode == 0, result.stdout[-5000:]
    rejected = query(
        db,
        "select source_name, source_file, source_line, rejection_reason "
        "from staging.stg_landing__rejected_rows",
    )
    assert all(reason for *_, reason in rejected)
    audit = {
        file: row
        for file, *row in query(
            db,
            "select source_file, is_landed, not_landed_reason, raw_rows, rejected_rows "
            "from marts.rpt_landing_files",
        )
    }
    for folder, (source_name, model) in STAGED_MODELS.items():
        staged = query(db, f"select source_file, source_line from {model}")
        landed = Counter(staged) + Counter(
            (file, line) for name, file, line, _ in rejected if name == source_name
        )
        assert max(landed.values(), default=1) == 1, "a record staged or rejected twice"
        table = "activities" if folder == "share_view" else folder
        raw = set(query(db, f"select _source_file, _source_line from raw.{table}"))
        assert set(landed) == raw, f"{folder}: raw records neither staged nor rejected"
        for export in (e for e in files if e.folder == folder):
            if not export.landed:
                is_landed, reason, *_ = audit[export.relative]
                assert not is_landed and reason, export.relative
                assert f"not landed: {export.relative}: {reason}" in result.stdout
                counts["files not landed, in the audit"] += 1
                continue
            mine = {line for file, line in landed if file == export.relative}
            if export.binary:
                assert audit.get(export.relative, (True, None, 0, 0))[3] == len(mine)
                continue
            assert mine == {r.line for r in export.records}, export.relative
            is_landed, _, raw_rows, rejected_rows = audit[export.relative]
            assert is_landed and raw_rows == len(export.records)
            on_load = {r.line for r in export.records if export.rejected_on_load(r)}
            assert on_load <= {line for name, file, line, _ in rejected if file == export.relative}
            counts["records"] += len(export.records)
            counts["staged"] += len(export.records) - rejected_rows


def test_generated_landings_build_green_and_every_record_is_staged_or_rejected(tmp_path):
    counts: Counter = Counter()

    # No shrinking: each try is a dbt build; a failing landing is reported as found.
    @settings(max_examples=DBT_EXAMPLES, phases=[Phase.generate])
    @given(landings(min_files=1, max_files=3))
    def check(files):
        counts["examples"] += 1
        run = tmp_path / f"run{counts['examples']}"
        write_landing(run / "raw", files)
        check_build(run / "raw", run / "fuzz.duckdb", files, counts)

    check()
    print(f"\ngenerated landings built by dbt: {dict(counts)}")
    assert counts["examples"] == DBT_EXAMPLES
    assert counts["staged"] > 0 and counts["records"] > counts["staged"]
