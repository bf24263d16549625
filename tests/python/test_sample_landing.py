"""On the generated sample, every record of every landing file is staged or rejected:
the files are counted here with Python's csv module, apart from the loader."""

from __future__ import annotations

import csv
import io

from conftest import query


def count_records(path) -> int:
    # Latin-1 decodes any byte, so a file of another 8-bit encoding still splits into
    # the same records; blank lines are not records.
    text = path.read_bytes().decode("latin-1")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(f.strip() for f in row)]
    return len(rows) - 1


def test_every_generated_record_is_staged_or_rejected(sample_dir, sample_db):
    expected = {
        path.relative_to(sample_dir).as_posix(): count_records(path)
        for folder in ("share_view", "users", "logins", "page_events")
        for path in sorted((sample_dir / folder).glob("*.csv"))
    }
    landed = {
        file: staged + rejected
        for file, staged, rejected in query(
            sample_db, "select source_file, staged_rows, rejected_rows from marts.rpt_landing_files"
        )
    }
    assert landed == expected
    assert sum(expected.values()) > 50_000


def test_generated_duplicates_are_flagged_not_dropped(sample_db):
    (duplicates,) = query(
        sample_db, "select sum(exact_duplicate_rows) from marts.rpt_landing_files"
    )[0]
    assert duplicates > 0
