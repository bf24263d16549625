"""Any subset of the landing sources builds green, and its report renders.

Real users arrive with one kind of export. Each source alone and each source missing
(eight landings, copied from one small generated sample), and all four sources cut to
their first few records (too few to fit most models), go through `dbt build
--full-refresh`: every node succeeds (models, seeds, data tests, unit tests), every mart
and every dbt Python model's table exists with the columns and types its YAML declares
(the contract of a SQL mart, data_type of a Python model), and every metrics table says
in `status` whether its models were fitted, and why not. The build is published and its
report (`uptake report`) opened in headless Chromium: it renders without a console error,
and each chart whose sources are absent names its empty or missing mart instead.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from conftest import open_report, run_dbt

from uptake import serving
from uptake.cli import main

SOURCES = ("share_view", "users", "logins", "page_events")
# (landing id, its folders, records kept per file: None for all)
LANDINGS = (
    [(f"only-{source}", (source,), None) for source in SOURCES]
    + [(f"without-{source}", tuple(s for s in SOURCES if s != source), None) for source in SOURCES]
    + [("tiny", SOURCES, 24)]
)
# About 240 accounts, 3,000 logins, 2,000 page events and 850 share/view rows: enough
# for every model to fit when its sources are there, small enough for ~30 s a build.
SUBSET_SCALE = 0.02
# Metrics tables whose models cannot be fitted without these sources.
NEEDS = {
    "ml_adoption_metrics": {"users", "logins"},
    "ml_return_metrics": {"page_events"},
    "ml_page_recommendation_metrics": {"page_events"},
    "ml_share_view_metrics": {"share_view"},
    "ml_view_time_metrics": {"share_view"},
}
# Charts of the report that cannot be drawn without these sources.
REPORT_NEEDS = {
    "adoption-by-cohort": {"users"},
    "days-to-adopt": {"users", "logins"},
    "how-soon": {"users", "logins"},
    "adoption-factors": {"users", "logins"},
    "weekday-hours": {"share_view"},
    "behaviour-differences": {"share_view"},
    "time-to-first-view": {"share_view"},
}


@pytest.fixture(scope="module")
def all_sources(tmp_path_factory) -> Path:
    """One small generated sample with the four landing folders."""
    from uptake.generator import generate

    out = tmp_path_factory.mktemp("all_sources") / "landing"
    generate(out, seed=11, scale=SUBSET_SCALE, fmt="csv")
    return out


def copy_landing(origin: Path, landing: Path, sources, records: int | None) -> None:
    """The given folders of a landing, each file whole or cut to its header and first
    records (lines: the generated CSV files hold no line breaks inside a field)."""
    for source in sources:
        if records is None:
            shutil.copytree(origin / source, landing / source)
            continue
        for path in (origin / source).iterdir():
            lines = path.read_bytes().splitlines(keepends=True)
            (landing / source).mkdir(parents=True, exist_ok=True)
            (landing / source / path.name).write_bytes(b"".join(lines[: 1 + records]))


def failures(target: Path, result) -> str:
    """The nodes that did not succeed, with dbt's message; else the end of the output."""
    run_results = target / "run_results.json"
    if not run_results.exists():
        return result.stdout[-5000:] + result.stderr[-2000:]
    failed = [
        f"{r['unique_id']}: {r['status']}: {(r.get('message') or '')[:800]}"
        for r in json.loads(run_results.read_text())["results"]
        if r["status"] not in ("success", "pass", "warn")
    ]
    return "\n".join(failed) or result.stdout[-5000:]


def declared_tables(manifest: dict) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(schema, table) -> declared (column, type) of every model in schemas marts and ml:
    the enforced contracts of the SQL marts and the data_type of the Python models."""
    tables = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"]["schema"] not in ("marts", "ml"):
            continue
        columns = [
            (column["name"], (column.get("data_type") or "undeclared").lower())
            for column in node["columns"].values()
        ]
        tables[(node["schema"], node["alias"])] = columns
    return tables


def built_tables(db_path: Path, schemas: set[str]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    with duckdb.connect(str(db_path), read_only=True) as conn:
        rows = conn.execute(
            "select table_schema, table_name, column_name, lower(data_type) "
            "from information_schema.columns "
            f"where table_schema in ({', '.join('?' for _ in schemas)}) "
            "order by table_schema, table_name, ordinal_position",
            sorted(schemas),
        ).fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), []).append((column, data_type))
    return tables


@pytest.mark.parametrize(
    ("name", "sources", "records"), LANDINGS, ids=[name for name, _, _ in LANDINGS]
)
def test_a_subset_of_sources_builds_green_with_every_declared_column(
    name, sources, records, all_sources, tmp_path, browser
):
    landing = tmp_path / "landing"
    landing.mkdir()
    copy_landing(all_sources, landing, sources, records)
    db_path = tmp_path / "subset.duckdb"
    target = tmp_path / "dbt_target"

    started = time.monotonic()
    result = run_dbt(["build", "--full-refresh"], landing, db_path)
    print(f"{name}: dbt build took {time.monotonic() - started:.1f} s")
    assert result.returncode == 0, failures(target, result)

    declared = declared_tables(json.loads((target / "manifest.json").read_text()))
    assert len(declared) >= 40, "the marts and the Python models' tables"
    undeclared = {t: c for t, c in declared.items() if any(k == "undeclared" for _, k in c)}
    assert not undeclared, f"columns without a data_type: {undeclared}"
    built = built_tables(db_path, {schema for schema, _ in declared})
    differing = {
        ".".join(table): {"declared": columns, "built": built.get(table)}
        for table, columns in declared.items()
        if built.get(table) != columns
    }
    assert not differing, json.dumps(differing, indent=1)

    with duckdb.connect(str(db_path), read_only=True) as conn:
        for table, needs in NEEDS.items():
            statuses = [
                row[0] for row in conn.execute(f"select status from marts.{table}").fetchall()
            ]
            assert statuses and all(statuses), f"{table} says nothing of its models: {statuses}"
            if not needs <= set(sources):
                assert all(s.startswith("not ") for s in statuses), (table, statuses)
    if "page_events" not in sources:
        assert "page recommendations: no page usage" in result.stdout

    # The report of the build: every chart drawn, or its place saying which mart is
    # missing or empty; none drawn whose sources are absent.
    published = tmp_path / "published.duckdb"
    serving.publish(db_path, published)
    assert main(["report", "--db", str(published), "--out", str(tmp_path / "report.html")]) == 0
    seen = open_report(browser, tmp_path / "report.html")
    assert seen["errors"] == [] and seen["requests"] == []
    for key, chart in seen["charts"].items():
        assert (chart["state"], chart["drawn"] > 0) in {("drawn", True), ("absent", False)}, key
        assert chart["state"] == "drawn" or chart["note"].strip(), f"{key}: absent, no word why"
    cannot = {key for key, needs in REPORT_NEEDS.items() if not needs <= set(sources)}
    drawn = {key for key, chart in seen["charts"].items() if chart["state"] == "drawn"}
    assert not cannot & drawn, f"drawn without their sources: {cannot & drawn}"
    if name.startswith("without-"):
        # Three sources whole: every chart that does not need the fourth is drawn.
        assert drawn == seen["charts"].keys() - cannot, {
            key: seen["charts"][key]["note"] for key in seen["charts"].keys() - cannot - drawn
        }
