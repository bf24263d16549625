"""`uptake report`: the HTML report of the published marts, drawn in headless Chromium.

The generated sample is built, published and reported; Debian's Chromium (installed by
scripts/chromium.sh when missing) opens the file with every request off the machine
refused, and each chart must be drawn (its plot holds SVG traces) with no console error.
Three series are checked against plain Python over the landing files. A published file
missing some marts still renders, and names the charts it cannot draw (the report of every
subset of the sources is opened in the browser by test_source_subsets.py). The test keeps
target/report.png, the top of the sample's report (docs/report.png is a copy of one).
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR, open_report
from test_adoption import python_adoption, read_csv

from uptake import report, serving
from uptake.cli import main
from uptake.results import Warehouse

SCREENSHOT = PROJECT_DIR / "target" / "report.png"


@pytest.fixture(scope="module")
def published(sample_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "published.duckdb"
    serving.publish(sample_db, out)
    return out


@pytest.fixture(scope="module")
def sample_report(published) -> Path:
    out = published.with_name("report.html")
    assert main(["report", "--db", str(published), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def rendered(published) -> dict[str, report.Rendered]:
    with serving.connect_published(published) as conn:
        return {r.chart.key: r for r in report.render_charts(Warehouse(conn))}


def test_every_chart_of_the_sample_is_drawn_offline(browser, sample_report):
    seen = open_report(browser, sample_report, screenshot=SCREENSHOT)
    assert seen["errors"] == []
    assert seen["requests"] == [], "the report must not load anything from elsewhere"
    assert list(seen["charts"]) == [chart.key for chart in report.CHARTS]
    for key, chart in seen["charts"].items():
        assert chart["state"] == "drawn", f"{key}: {chart['note']}"
        assert chart["drawn"] > 0, f"{key}: no trace drawn"
        assert chart["width"] > 600, f"{key}: plot {chart['width']} px wide"
        assert chart["reading"].strip(), f"{key}: no reading"
    # One small picture of the top of the report (docs/report.png is a copy of one).
    assert 0 < SCREENSHOT.stat().st_size < 300_000


def test_plotly_is_inlined_once(sample_report):
    page = sample_report.read_text(encoding="utf-8")
    assert page.count("plotly.js v") == 1
    assert "<script src" not in page and "<link" not in page


def test_charts_of_marts_not_built_say_so(published, tmp_path):
    partial = tmp_path / "partial.duckdb"
    shutil.copy(published, partial)
    with duckdb.connect(str(partial)) as conn:
        conn.execute("drop table marts.fct_shares")
        conn.execute("drop table marts.rpt_aha_moments")
        conn.execute("delete from marts.rpt_landing_files")
    out = tmp_path / "report.html"
    assert main(["report", "--db", str(partial), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Not in this build: marts.fct_shares" in page
    assert "Not in this build: marts.rpt_aha_moments" in page
    assert "marts.rpt_landing_files has no rows in this build" in page
    assert page.count('data-state="absent"') == 3
    assert page.count('data-state="drawn"') == len(report.CHARTS) - 3


def test_data_quality_names_files_not_landed_and_folders_without_a_file(published, tmp_path):
    """A landing without page_events and with a lock file beside the logins: the reading
    counts only the landed files and says what was left out."""
    partial = tmp_path / "partial.duckdb"
    shutil.copy(published, partial)
    with duckdb.connect(str(partial)) as conn:
        landed = conn.execute(
            "select count(*) from marts.rpt_landing_files"
            " where is_landed and source_file not like 'page_events/%'"
        ).fetchone()[0]
        conn.execute("delete from marts.rpt_landing_files where source_file like 'page_events/%'")
        conn.execute(
            "insert into marts.rpt_landing_files (source_name, source_file, is_landed,"
            " not_landed_reason, raw_rows, staged_rows, rejected_rows, exact_duplicate_rows)"
            " values ('product.logins', 'logins/.~lock.x.csv#', false, 'a lock file', 0, 0, 0, 0)"
        )
    with serving.connect_published(partial) as conn:
        charts = {r.chart.key: r for r in report.render_charts(Warehouse(conn))}
    reading = charts["data-quality"].drawn.reading
    assert reading.startswith(f"{landed} files landed")
    assert "1 file not landed (1 a lock file)" in reading
    assert reading.endswith("no file landed in page_events/.")


def test_no_published_file_is_a_message(tmp_path, capsys):
    assert main(["report", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no published file" in capsys.readouterr().err


def test_days_to_adopt_match_the_rule_in_python(rendered, sample_dir):
    expected = Counter(
        min(user["days_from_signup_to_adoption"], report.DAYS_TO_ADOPT_CAP + 1)
        for user in python_adoption(sample_dir).values()
        if user["is_adopted"]
    )
    bars = rendered["days-to-adopt"].drawn.figure.data[0]
    assert list(bars.y) == [expected[day] for day in range(report.DAYS_TO_ADOPT_CAP + 2)]
    assert sum(bars.y) > 100


def test_daily_active_accounts_match_the_logins(rendered, sample_dir):
    logins: dict[dt.date, set[str]] = defaultdict(set)
    for row in read_csv(sample_dir / "logins" / "logins.csv"):
        logins[dt.date.fromisoformat(row["time_stamp"][:10])].add(row["user_id"])
    dau = rendered["active-users"].drawn.figure.data[0]  # accounts' DAU, shown first
    assert dau.name == "DAU" and dau.visible
    series = dict(zip(dau.x, dau.y, strict=True))
    assert len(series) > 100
    assert series == {day: len(logins.get(day, ())) for day in series}


def test_weekday_hours_of_a_customer_match_its_export(rendered, sample_dir):
    """The first heat map (customer of the first code) against its export's VIEW rows,
    exact duplicates counted once, views without a time left out."""
    heat = rendered["weekday-hours"].drawn.figure.data[0]
    customer = heat.name
    views, seen = Counter(), set()
    with open(sample_dir / "share_view" / f"{customer}.csv", newline="", encoding="latin-1") as f:
        records = csv.reader(f)
        header = [name.strip() for name in next(records)]
        for record in records:
            fields = dict(zip(header, (value.strip() for value in record), strict=False))
            if tuple(record) in seen or fields["Activity Type"] != "VIEW":
                continue
            seen.add(tuple(record))
            when = f"{fields['Last Activity Date']} {fields['Last Activity Time']}"
            try:
                at = dt.datetime.strptime(when, "%d-%b-%Y %H:%M:%S")
            except ValueError:
                continue
            views[(at.isoweekday(), at.hour)] += 1
    assert sum(views.values()) > 100
    assert [list(row) for row in heat.z] == [
        [views[(weekday, hour)] for hour in range(24)] for weekday in range(1, 8)
    ]


def test_the_exposure_names_the_marts_the_charts_read():
    import yaml

    exposures = yaml.safe_load((PROJECT_DIR / "models" / "exposures.yml").read_text())
    (exposure,) = [e for e in exposures["exposures"] if e["name"] == "report"]
    declared = {ref.removeprefix("ref('").removesuffix("')") for ref in exposure["depends_on"]}
    read = {name for chart in report.CHARTS for name in chart.tables + chart.extras}
    assert declared == read


def test_cohorts_that_nobody_can_be_seen_in_yet_are_named_not_drawn(published, tmp_path):
    """A build of users without activity: cohorts with no observable cell draw nothing."""
    unseen = tmp_path / "unseen.duckdb"
    shutil.copy(published, unseen)
    with duckdb.connect(str(unseen)) as conn:
        for name in ("rpt_retention_cohorts", "rpt_retention_segments"):
            conn.execute(
                f"update marts.{name} set observable_users = 0, retained_users = 0, "
                "retention_rate = null, is_complete = false"
            )
    with serving.connect_published(unseen) as conn:
        charts = {r.chart.key: r for r in report.render_charts(Warehouse(conn))}
    for key in ("retention-triangle", "retention-curves"):
        assert charts[key].drawn is None
        assert "can be seen in full yet" in charts[key].note or "observed yet" in charts[key].note
