"""The landing loader takes every record of every file, whatever the quirk."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES

from uptake.landing import SPECS, load_folder, normalise_header


def rows_by_line(table: pa.Table, file: str) -> dict[int, dict]:
    return {row["_source_line"]: row for row in table.to_pylist() if row["_source_file"] == file}


def physical_records(path) -> list[int]:
    """Line numbers of the non-blank lines after the header: an independent count for
    fixtures whose fields never span lines."""
    lines = path.read_bytes().splitlines()
    return [number for number, line in enumerate(lines[1:], start=2) if line.strip()]


@pytest.mark.parametrize(
    ("exported", "expected"),
    [
        (" User ID", "user_id"),
        ("Time Spent in Seconds", "time_spent_in_seconds"),
        ("  Last Activity Date ", "last_activity_date"),
        ("", ""),
        ("object_id", "object_id"),
    ],
)
def test_header_names_are_normalised(exported, expected):
    assert normalise_header(exported) == expected


@pytest.mark.parametrize("source", sorted(SPECS))
def test_every_fixture_record_is_loaded_once(source):
    table, reports = load_folder(FIXTURES, source)
    loaded = sorted(
        zip(table["_source_file"].to_pylist(), table["_source_line"].to_pylist(), strict=True)
    )
    expected = []
    for path in sorted((FIXTURES / SPECS[source].folder).iterdir()):
        relative = path.relative_to(FIXTURES).as_posix()
        if path.suffix == ".parquet":
            lines = range(2, pq.read_metadata(path).num_rows + 2)
        else:
            lines = physical_records(path)
        expected += [(relative, line) for line in lines]
    assert loaded == sorted(expected)
    assert table.column_names == list(SPECS[source].output_columns)


def test_legacy_8_bit_titles_are_decoded_not_dropped():
    table, reports = load_folder(FIXTURES, "share_view")
    report = next(r for r in reports if r.path == "share_view/IS.csv")
    assert "cp1252" in report.encodings
    rows = rows_by_line(table, "share_view/IS.csv")
    assert rows[2]["title_of_content"] == "Café market – outlook.pdf"
    assert rows[5]["title_of_content"] == "Fund “factsheet”.pptx"


def test_leading_spaces_quoted_commas_and_trailing_columns():
    table, _ = load_folder(FIXTURES, "share_view")
    rows = rows_by_line(table, "share_view/IS.csv")
    assert rows[2]["user_id"] == "5001"
    assert rows[2]["user_groups"] == "All Users ,FA - NCR 2 "
    assert rows[2]["_extra_columns"] is None
    assert json.loads(rows[4]["_extra_columns"]) == {"unnamed_1": "stray note"}
    es = rows_by_line(table, "share_view/ES.csv")
    assert json.loads(es[2]["_extra_columns"]) == {"user_os_share": "MAC_OS_X"}
    assert json.loads(es[4]["_extra_columns"]) == {"unnamed_1": "x", "unnamed_2": "y"}


def test_malformed_record_and_missing_required_column_are_kept_with_a_reason():
    table, reports = load_folder(FIXTURES, "share_view")
    yb = rows_by_line(table, "share_view/YB.csv")
    assert yb[4]["_load_error"] == "record has 16 fields, header has 14"
    assert yb[4]["_raw_record"].endswith("8:00:00,extra,fields")
    assert yb[2]["_load_error"] is None
    zz = rows_by_line(table, "share_view/ZZ.csv")
    assert len(zz) == 2
    assert all(
        row["_load_error"] == "file lacks required column(s): last_activity_date, "
        "last_activity_time"
        for row in zz.values()
    )
    report = next(r for r in reports if r.path == "share_view/ZZ.csv")
    assert report.missing_required == ("last_activity_date", "last_activity_time")
    assert any("lacks required column" in w for w in report.warnings())


def test_latin_1_users_and_float_formatted_ids_stay_text():
    table, _ = load_folder(FIXTURES, "users")
    rows = rows_by_line(table, "users/users.csv")
    assert rows[5]["name"] == "Müller José"
    assert rows[2]["invited_by_user_id"] == "10803.0"
    assert rows[4]["last_session_creation_time"] == ""


def test_page_event_ids_stay_39_digit_text_and_index_column_is_kept():
    table, _ = load_folder(FIXTURES, "page_events")
    rows = rows_by_line(table, "page_events/page_events.csv")
    assert rows[2]["user_id"] == "254118360823473432358724436217364452158"
    assert json.loads(rows[2]["_extra_columns"]) == {"unnamed_1": "0"}
    assert rows[5]["browser"] == ""


def test_parquet_rows_are_numbered_and_typed_values_become_text():
    table, _ = load_folder(FIXTURES, "share_view")
    rows = rows_by_line(table, "share_view/TW.parquet")
    assert sorted(rows) == [2, 3]
    assert rows[2]["user_id"] == "3001"
    assert rows[3]["rm_id"] is None


def test_quoted_field_spanning_lines_keeps_line_numbers(tmp_path):
    folder = tmp_path / "logins"
    folder.mkdir()
    (folder / "a.csv").write_text(
        'time_stamp,user_id,visited\n"2014-01-01\n10:00:00",1,1\n2014-01-02,2,1\n\n2014-01-03,3,1\n'
    )
    table, _ = load_folder(tmp_path, "logins")
    assert table["_source_line"].to_pylist() == [2, 4, 6]
    assert table["user_id"].to_pylist() == ["1", "2", "3"]


def test_missing_or_empty_folder_gives_an_empty_table_with_the_contract_columns(tmp_path):
    (tmp_path / "logins").mkdir()
    (tmp_path / "logins" / "empty.csv").write_text("")
    for source in SPECS:
        table, _ = load_folder(tmp_path, source)
        assert table.num_rows == 0
        assert table.column_names == list(SPECS[source].output_columns)


def test_parquet_extra_columns_become_json_of_the_filled_values(tmp_path):
    folder = tmp_path / "page_events"
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                "Unnamed: 0": pa.array([0, 1, 2], pa.int64()),
                "ts": ["2024-01-01 10:00:00.000001", "2024-01-01 10:00:01.5", None],
                "user_id": ["1" * 39, "2" * 39, "3" * 39],
                "page": ["home", "help", "home"],
                "note": ["x", None, ""],
            }
        ),
        folder / "events.parquet",
    )
    table, reports = load_folder(tmp_path, "page_events")
    rows = table.to_pylist()
    assert [r["_source_line"] for r in rows] == [2, 3, 4]
    assert [json.loads(r["_extra_columns"]) for r in rows] == [
        {"note": "x", "unnamed_0": "0"},
        {"unnamed_0": "1"},
        {"unnamed_0": "2"},
    ]
    assert rows[0]["user_id"] == "1" * 39 and rows[2]["ts"] is None
    assert rows[0]["os"] is None  # optional column absent from the file
    assert reports[0].missing_optional == ("os", "browser", "plan")
