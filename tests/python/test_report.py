"""`uptake report`: the HTML report of the published marts, drawn in headless Chromium.

The generated sample is built, published and reported; Debian's Chromium (installed by
scripts/chromium.sh when missing) opens the file with every request off the machine
refused, and each chart must be drawn (its plot holds SVG traces) with no console error.
Two series are checked against plain Python over the landing files. A build without the
share_view source, and a published file missing some marts, still render, and name the
charts they cannot draw. The test keeps target/report.png, the top of the sample's report.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR, run_dbt
from test_adoption import python_adoption, read_csv

from uptake import report, serving
from uptake.cli import main
from uptake.results import Warehouse

SHARE_VIEW_CHARTS = {"weekday-hours", "behaviour-differences", "time-to-first-view"}
SCREENSHOT = PROJECT_DIR / "target" / "report.png"
# What the page says of each chart: its state, its note, its reading, and how many trace
# groups its plot drew (SVG groups of scatter and bar traces, heat-map images).
PAGE_STATE = """() => [...document.querySelectorAll('section.chart')].map(s => {
    const plot = s.querySelector('.js-plotly-plot');
    return {
        id: s.id,
        state: s.dataset.state,
        note: (s.querySelector('div.absent') || {}).textContent || '',
        reading: (s.querySelector('p.reading') || {}).textContent || '',
        drawn: plot ? plot.querySelectorAll('svg.main-svg g.trace, svg.main-svg g.hm').length : 0,
        width: plot ? plot.getBoundingClientRect().width : 0,
    };
})"""
ALL_PLOTTED = """() => [...document.querySelectorAll('.js-plotly-plot')].every(
    plot => plot._fullLayout && plot.querySelector('svg.main-svg'))"""


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


@pytest.fixture(scope="module")
def without_share_view(tmp_path_factory) -> Path:
    """A small build of users, logins and page events only, published and reported."""
    from uptake.generator import generate

    root = tmp_path_factory.mktemp("without_share_view")
    generate(root / "all", seed=11, scale=0.02, fmt="csv")
    for source in ("users", "logins", "page_events"):
        shutil.copytree(root / "all" / source, root / "landing" / source)
    build = root / "build.duckdb"
    result = run_dbt(["build"], root / "landing", build)
    assert result.returncode == 0, result.stdout[-5000:]
    serving.publish(build, root / "published.duckdb")
    out = root / "report.html"
    assert main(["report", "--db", str(root / "published.duckdb"), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright (no browser download: its own executable)."""
    found = subprocess.run(
        ["bash", "scripts/chromium.sh"], cwd=PROJECT_DIR, capture_output=True, text=True
    )
    assert found.returncode == 0, f"scripts/chromium.sh failed:\n{found.stderr[-3000:]}"
    executable = found.stdout.strip().splitlines()[-1]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def open_report(browser, path: Path, screenshot: Path | None = None) -> dict:
    """Opens the report with every request but the file itself refused; returns the
    charts' state, the console errors and the refused requests."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def refuse(route):
        requests.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith("file:"), refuse)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function(ALL_PLOTTED, timeout=30_000)
    charts = {chart["id"]: chart for chart in page.evaluate(PAGE_STATE)}
    if screenshot:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
    page.close()
    return {"charts": charts, "errors": errors, "requests": requests}


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


def test_a_build_without_share_view_names_the_charts_it_cannot_draw(browser, without_share_view):
    seen = open_report(browser, without_share_view)
    assert seen["errors"] == [] and seen["requests"] == []
    absent = {key for key, chart in seen["charts"].items() if chart["state"] == "absent"}
    assert absent == SHARE_VIEW_CHARTS
    for key in absent:
        assert "has no rows in this build" in seen["charts"][key]["note"]
    for key in seen["charts"].keys() - absent:
        assert seen["charts"][key]["drawn"] > 0, key


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
