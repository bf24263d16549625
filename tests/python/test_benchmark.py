"""The benchmark's own pieces (benchmarks/, outside the package): the pandas ways of the
adoption rule agree with a day-by-day count, the hold-back loses no row, and the report
renders what a run measured. (The whole benchmark runs dbt twice: it is run by hand,
`python -m benchmarks --scale 0.05`, not here.)"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

import numpy as np
import pandas as pd
import pytest

from benchmarks import adoption, landing, report
from benchmarks.measure import Measurement, measure


def account_days(seed: int, accounts: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random active days around each account's signup, some before it."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    users = pd.DataFrame(
        {
            "user_id": np.arange(accounts, dtype="int64"),
            "signup_date": start + pd.to_timedelta(rng.integers(0, 60, accounts), "D"),
        }
    )
    rows = []
    for user in users.itertuples():
        offsets = rng.choice(np.arange(-5, 40), size=rng.integers(0, 12), replace=False)
        rows += [(user.user_id, user.signup_date + pd.Timedelta(days=int(o))) for o in offsets]
    days = pd.DataFrame(rows, columns=["user_id", "activity_date"])
    return days, users


def by_counting(days: pd.DataFrame, users: pd.DataFrame, min_days: int, window: int) -> dict:
    """The rule by brute force: for each account and each of its days on or after signup,
    count its days in the window ending that day; the first day reaching min_days."""
    signup = dict(zip(users.user_id, users.signup_date, strict=True))
    adopted = {}
    for user, part in days.groupby("user_id"):
        dates = sorted(d for d in part.activity_date if d >= signup[user])
        for day in dates:
            inside = [d for d in dates if day - pd.Timedelta(days=window - 1) <= d <= day]
            if len(inside) >= min_days:
                adopted[user] = day
                break
    return adopted


@pytest.mark.parametrize(("min_days", "window"), [(3, 7), (2, 3), (1, 1)])
def test_both_pandas_ways_compute_the_adoption_rule(min_days, window):
    days, users = account_days(seed=min_days * 10 + window)
    expected = by_counting(days, users, min_days, window)
    assert expected, "the synthetic days should make some accounts adopt"
    counted = int((days.merge(users, on="user_id").eval("activity_date >= signup_date")).sum())
    for compute in (adoption.adoption_vectorised, adoption.adoption_rolling):
        result, n = compute(days, users, min_days, window)
        assert dict(zip(result.user_id, pd.to_datetime(result.adopted_on), strict=True)) == expected
        assert n == counted


def test_hold_back_keeps_every_row_and_appends_without_overwriting(tmp_path):
    import duckdb

    from uptake.generator import generate

    generated = tmp_path / "generated"
    generate(generated, seed=7, scale=0.02, fmt="parquet")
    held = landing.hold_back(generated, tmp_path / "landing", tmp_path / "held_back")

    def rows(folder) -> int:
        files = sorted(str(p) for p in folder.rglob("*.parquet"))
        if not files:
            return 0
        with duckdb.connect() as conn:
            return conn.execute("select count(*) from read_parquet(?)", [files]).fetchone()[0]

    for folder in landing.FOLDERS:
        total = rows(generated / folder)
        assert held[folder]["rows"] == total
        assert held[folder]["held_back_rows"] > 0, folder
        assert rows(tmp_path / "landing" / folder) == total - held[folder]["held_back_rows"]
    moved = landing.append_held_back(tmp_path / "landing", tmp_path / "held_back", held)
    assert moved
    for folder in landing.FOLDERS:
        assert rows(tmp_path / "landing" / folder) == rows(generated / folder)
    with pytest.raises(FileExistsError):  # the landing is append-only: never overwritten
        landing.append_held_back(tmp_path / "landing", tmp_path / "held_back", held)


def test_measure_reports_the_child_exit_code_and_time():
    m = measure(["python", "-c", "import time, sys; time.sleep(0.2); sys.exit(3)"])
    assert m.returncode == 3 and m.wall_s >= 0.2 and m.peak_rss_gb > 0


def test_measure_adds_up_processes_that_run_side_by_side():
    # Two grandchildren hold 200 MB each at the same time: the largest single process
    # (wait4's peak) is about 0.2 GB, the tree about 0.4 GB.
    hold = "import time; x = b'\\x01' * (200 * 2**20); time.sleep(1.5)"
    parent = (
        "import subprocess, sys; "
        f"ps = [subprocess.Popen([sys.executable, '-c', {hold!r}]) for _ in range(2)]; "
        "[p.wait() for p in ps]"
    )
    m = measure([sys.executable, "-c", parent])
    assert m.returncode == 0
    assert m.peak_tree_gb is not None and m.peak_tree_gb >= 0.38
    assert m.peak_rss_gb == max(m.peak_tree_gb, m.peak_rss_gb) >= 0.38


def a_run() -> dict:
    """The figures of a (made-up) run, as benchmark.json holds them."""
    steps = {"generate": {"wall_s": 12.0, "peak_rss_gb": 1.5, "rc": 0}}
    sql = {"label": "project SQL", "wall_s": 9.0, "peak_rss_gb": 2.0, "rc": 0, "load_s": None}
    return {
        "command": "python -m benchmarks --scale 0.05",
        "started": dt.datetime(2026, 1, 1).isoformat(),
        "finished": dt.datetime(2026, 1, 1, 0, 5).isoformat(),
        "machine": {
            "cores": 2,
            "memory_gb": 24.0,
            "cpu": "cpu",
            "os": "linux",
            "python": "3.11",
            "duckdb": "1",
            "dbt-core": "1",
            "dbt-duckdb": "1",
            "pandas": "2",
            "numpy": "2",
        },  # fmt: skip
        "out": "/tmp/bench",
        "steps": steps,
        "generator": {
            "seed": 42,
            "component_scales": {"accounts": 0.05, "events": 0.05},
            "rows": {"users": 600, "logins": 1000, "page_events": 500, "share_view": 200},
            "bytes": {},
        },
        "adoption": {
            "sql_full": {**sql, "compute_s": 0.01, "users": 600, "adopted": 100},
            "pandas_full": {**sql, "label": "pandas", "compute_s": 0.06, "users": 600},
            "pandas_slice": {**sql, "label": "pandas, slice", "compute_s": 0.02, "users": 200},
            "rolling_slice": {**sql, "label": "rolling, slice", "compute_s": 0.8, "users": 200},
        },
        "agreement": [{"a": "pandas_full", "b": "sql", "shared_users": 600, "mismatches": 0}],
    }


def test_targets_say_met_or_missed_and_by_how_much():
    results = a_run()
    targets = report.evaluate_targets(
        results, Measurement(0, 700.0, 3.0), Measurement(0, 35.0, 2.0)
    )
    met = {t["target"]: t["met"] for t in targets}
    assert met["full build within 10 minutes"] is False  # 700 s > 600 s
    assert met["full build peak memory within 12 GB"] is True
    assert met["one-day incremental build within 10% of the full build's time"] is True
    assert results["ratios"]["pandas_over_sql_full"] == 6.0
    # rolling: 0.8 s / 200 accounts against SQL's 0.01 s / 600 accounts = 240x
    assert results["ratios"]["rolling_per_account_over_sql_full_per_account"] == 240.0
    assert met["adoption SQL ≥ 5× faster than vectorised pandas"] is True


def test_the_report_has_every_section_of_the_run():
    results = a_run()
    results["targets"] = report.evaluate_targets(
        results, Measurement(0, 100.0, 3.0), Measurement(1, 35.0, 2.0)
    )
    text = report.render_markdown(results)
    for heading in (
        "# Benchmarks",
        "## Data per source",
        "## Steps",
        "## Adoption rule",
        "## Targets",
    ):
        assert heading in text
    assert "| generate | 12.0 | 1.50 | 0 |" in text
    assert "**6.0×**" in text and "**240.0×**" in text
    assert "| pandas_full | sql | 600 | 0 |" in text
    assert "**missed**" in text  # the incremental build failed
    assert json.dumps(results)  # the figures stay plain JSON


def with_sizes_csv_and_sample(results: dict) -> dict:
    """a_run() with the figures of steps 6 and 7 and three sizes."""
    point = {"full_rc": 0, "incremental_rc": 0, "full_gb": 2.0, "incremental_gb": 1.0}
    results["scaling"] = [
        {**point, "size": s, "accounts": int(600 * s), "events": int(1700 * s),
         "full_s": 100.0 * s, "incremental_s": 20.0 * s, "landing_s": 5.0 * s}
        for s in (0.2, 0.5, 1.0)
    ]  # fmt: skip
    reader = {"files": 1, "size_mb": 10.0, "seconds": 1.0, "peak_rss_mb": 250}
    results["csv_landing"] = {
        "wall_s": 9.0,
        "peak_rss_gb": 0.4,
        "rc": 0,
        "landing_s": 4.0,
        "bytes": {},
        "generated_rows": {"users": 600, "logins": 1000, "page_events": 500, "share_view": 200},
        "raw_rows": {"users": 600, "logins": 1000, "page_events": 500, "share_view": 200},
        "readers": [
            {**reader, "source": "logins", "rows": 1_500_000, "rows_per_s": 1_500_000,
             "readers_used": ["duckdb"]},
            {**reader, "source": "share_view", "rows": 400_000, "rows_per_s": 400_000,
             "readers_used": ["duckdb", "python"]},
        ],
    }  # fmt: skip
    results["analyst"] = {
        "build": {"wall_s": 75.0, "peak_rss_gb": 1.2, "rc": 0},
        "one_mart": {"mart": "fct_adoption", "wall_s": 12.0, "peak_rss_gb": 0.5, "rc": 0},
    }
    return results


def test_csv_and_analyst_targets_are_judged_from_their_figures():
    results = with_sizes_csv_and_sample(a_run())
    targets = report.evaluate_targets(
        results, Measurement(0, 100.0, 3.0), Measurement(0, 20.0, 2.0)
    )
    met = {t["target"]: t["met"] for t in targets}
    assert met["CSV landing ≥ 1 M rows/s: logins (reader: duckdb)"] is True
    assert met["CSV landing ≥ 1 M rows/s: share_view (reader: duckdb, python)"] is False
    assert met["sample: dbt build after install within 60 s"] is False  # 75 s
    assert met["sample: dbt build --select one mart well under that (≤ 30 s)"] is True


def test_the_report_shows_how_cost_grows_the_csv_landing_and_the_loop(tmp_path):
    from benchmarks.chart import write_chart

    results = with_sizes_csv_and_sample(a_run())
    results["targets"] = report.evaluate_targets(
        results, Measurement(0, 100.0, 3.0), Measurement(0, 20.0, 2.0)
    )
    chart = write_chart(results["scaling"], tmp_path / "docs" / "scaling.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results["chart"] = "docs/scaling.png"
    text = report.render_markdown(results)
    assert "## How cost grows" in text and "![Build time" in text
    # size 0.5: 850 events, full 50 s, incremental 10 s (20%), 58,823.5 s per M events
    assert "| 0.5 | 300 | 850 | 50 | 2.00 | 10 | 1.00 | 20% | 58823.5 | 2 |" in text
    assert "**0.00 M rows/s**" in text  # 2,300 rows in 4 s
    assert "| logins | 1 | 10 | 1,500,000 | 1.0 | 1,500,000 | 250 | duckdb |" in text
    assert "| `dbt build --select fct_adoption` | 12.0 | 0.50 | 0 |" in text


def test_sizes_are_sorted_and_checked():
    from benchmarks.run import parse_sizes

    assert parse_sizes("1,0.2,0.5") == [0.2, 0.5, 1.0]
    for bad in ("", "0,1", "a,b"):
        with pytest.raises(ValueError, match="--sizes"):
            parse_sizes(bad)


def test_node_time_is_split_by_materialization(tmp_path):
    from benchmarks.run import by_materialization

    def model(name, materialized, language="sql"):
        config = {"materialized": materialized}
        node = {"resource_type": "model", "name": name, "language": language, "config": config}
        return f"model.uptake.{name}", node

    nodes = dict([model("a", "table"), model("b", "incremental"), model("c", "table", "python")])
    nodes["model.uptake.a"]["config"]["meta"] = {"rebuilt_whole": "a  few\n rows"}
    nodes["test.uptake.t1"] = {"resource_type": "test", "name": "t1", "config": {}}
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    results = [
        {"unique_id": uid, "execution_time": s}
        for uid, s in (("model.uptake.a", 2.0), ("model.uptake.b", 1.0),
                       ("model.uptake.c", 4.0), ("test.uptake.t1", 0.5))
    ]  # fmt: skip
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    kinds = by_materialization(tmp_path / "run_results.json", tmp_path / "manifest.json")
    assert kinds["sql table"] == {
        "seconds": 2.0, "nodes": 1, "models": {"a": 2.0}, "reasons": {"a": "a few rows"}
    }  # fmt: skip
    assert kinds["python table"]["models"] == {"c": 4.0}
    assert kinds["sql incremental"]["seconds"] == 1.0
    assert kinds["test"] == {"seconds": 0.5, "nodes": 1, "models": {}}
    text = report.render_markdown(
        {**a_run(), "dbt": {"incremental": {"by_materialization": kinds}}}
    )
    assert "| `c` | 4.0 | *no reason given: to do* |" in text
    assert "| `a` | 2.0 | a few rows |" in text and "| python table | 1 | 4.0 |" in text


GB = 1024**3


def test_measure_keeps_a_timeline_of_the_tree_only_when_asked():
    hold = "import time; x = b'\\x01' * (200 * 2**20); time.sleep(1.0)"
    before = time.time()
    m = measure([sys.executable, "-c", hold], timeline=True)
    assert m.returncode == 0 and before <= m.started_at <= before + 1.0
    seconds = [t for t, _ in m.timeline]
    assert len(seconds) >= 2 and seconds == sorted(seconds) and 0 < seconds[0] <= m.wall_s
    assert round(max(value for _, value in m.timeline) / GB, 3) == m.peak_tree_gb >= 0.19
    assert measure([sys.executable, "-c", "pass"]).timeline == ()


def test_memory_is_attributed_to_the_nodes_that_ran(monkeypatch):
    from benchmarks.run import memory_by_node

    # dbt writes UTC; a clock read as the machine's local time (UTC+05:30 here) would put
    # every node 5.5 hours away from the samples.
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        started_at = 1767225600.0  # 2026-01-01T00:00:00Z, as time.time() gives it

        def node(uid, *timing):
            entries = [
                {"name": name, "started_at": f"2026-01-01T00:00:{a}Z",
                 "completed_at": f"2026-01-01T00:00:{b}Z"}
                for name, a, b in timing
            ]  # fmt: skip
            return {"unique_id": uid, "status": "success", "timing": entries}

        results = [
            # the hook lands the data while compiled: its execute alone has no sample
            node("hook", ("compile", "00.200000", "00.700000"), ("execute", "00.700", "00.710")),
            node("model.a", ("compile", "01", "01.5"), ("execute", "01.5", "06")),
            node("model.b", ("execute", "02", "04")),  # beside a: dbt's second thread
            node("model.c", ("execute", "04.500000", "09")),
            node("test.short", ("execute", "09.5", "09.6")),  # between two samples
            {"unique_id": "test.skipped", "status": "skipped", "timing": []},
        ]
        # tree RSS: 0.5 GB at 0.5 s, 1 at 1.5, the peak 3 at 3.0, 2 at 5.0, 2.5 at 8.0, 0.75
        timeline = [(0.5, GB // 2), (1.5, GB), (3.0, 3 * GB), (5.0, 2 * GB),
                    (8.0, 5 * GB // 2), (9.25, 3 * GB // 4)]  # fmt: skip
        memory = memory_by_node(results, started_at, timeline)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert memory["peak_gb"] == 3.0 and memory["peak_at_s"] == 3.0
    assert memory["at_peak"] == ["model.a", "model.b"]
    # a: samples at 1.5, 3.0, 5.0 -> 3 GB over 5 s; b: 3.0 -> 3 GB over 2 s; c: 5.0 and
    # 8.0 -> 2.5 GB over 4.5 s; the hook: 0.5 -> 0.5 GB over 0.51 s; test.short: no sample
    assert memory["top"] == [
        {"node": "model.a", "max_rss_gb": 3.0, "seconds": 5.0},
        {"node": "model.b", "max_rss_gb": 3.0, "seconds": 2.0},
        {"node": "model.c", "max_rss_gb": 2.5, "seconds": 4.5},
        {"node": "hook", "max_rss_gb": 0.5, "seconds": 0.51},
    ]
    assert [n["node"] for n in memory_by_node(results, started_at, timeline, top=2)["top"]] == [
        "model.a",
        "model.b",
    ]
    # a sampler that saw nothing: nothing to attribute
    assert memory_by_node(results, started_at, []) is None


def test_the_report_names_the_nodes_at_the_memory_peak_or_says_not_measured():
    top = [{"node": "model.uptake.a", "status": "success", "seconds": 50.0}]
    memory = {
        "peak_gb": 19.5,
        "peak_at_s": 812.3,
        "at_peak": ["model.uptake.a", "model.uptake.b"],
        "top": [
            {"node": "model.uptake.a", "max_rss_gb": 19.5, "seconds": 300.0},
            {"node": "model.uptake.b", "max_rss_gb": 19.5, "seconds": 40.25},
            {"node": "model.uptake.c", "max_rss_gb": 7.123, "seconds": 12.0},
        ],
    }
    heading = "### Memory: the nodes running when the process tree was largest"
    text = report.render_markdown(
        {
            **a_run(),
            "dbt": {
                "full": {"elapsed_s": 900, "top": top, "memory": memory},
                "incremental": {"elapsed_s": 90, "top": top},  # figures from before
            },
        }
    )
    full, incremental = text.split("## What dominates the incremental build")
    assert heading in full and heading in incremental
    assert "**19.50 GB**, 812 s into the step, while `model.uptake.a`, `model.uptake.b` ran" in full
    assert "| `model.uptake.a` | 19.50 | 300.0 | yes |" in full
    assert "| `model.uptake.b` | 19.50 | 40.2 | yes |" in full
    assert "| `model.uptake.c` | 7.12 | 12.0 |  |" in full
    assert "Not measured" in incremental and "Not measured" not in full
    # an older benchmark.json, without dbt's figures at all, still renders
    assert heading not in report.render_markdown(a_run())


def spark_results(failed: str | None = None) -> dict:
    """What `python -m benchmarks spark` records, made up (the numbers are checked in the
    section as written)."""
    step = {"wall_s": 12.5, "peak_rss_gb": 1.25, "rc": 0, "load_before": [0.5, 0, 0]}
    step["load_after"] = [1.75, 0, 0]
    keys = ("generate", "duckdb build", "spark land-parquet", "spark dbt build", "spark-models")
    steps = {key: {**step, "wall_s": 10.0 * (n + 1)} for n, key in enumerate(keys)}
    if failed:
        steps[failed]["rc"] = 2
    rows = {"users": 1200, "logins": 19000, "page_events": 9100, "share_view": 4300}
    from benchmarks.spark import DUCKDB_SETTINGS, SPARK_SETTINGS

    return {
        "command": "python -m benchmarks spark --scale 0.1 --out /tmp/x",
        "started": "2026-11-30T16:00:00+00:00",
        "machine": {"cores": 2, "memory_gb": 24.0, "cpu": "cpu", "python": "3.11", "os": "linux"},
        "versions": {
            "pyspark": "3.5.1",
            "dbt-spark": "1.9.0",
            "dbt-core": "1.11.0",
            "dbt-duckdb": "1.9.0",
            "duckdb": "1.2.0",
            "java": 'openjdk version "17"',
        },
        "settings": {**SPARK_SETTINGS, **DUCKDB_SETTINGS},
        "steps": steps,
        "data": {
            "scale": 0.1,
            "seed": 42,
            "format": "parquet",
            "generated_rows": rows,
            "duckdb_raw_rows": rows,
            "spark_raw_rows": {**rows, "users": 1199},
        },
        "duckdb_nodes": {"nodes": {"success": 300, "pass": 117}},
        "spark_nodes": {"nodes": {"success": 210, "pass": 117}},
    }


def test_the_spark_section_says_what_was_measured_and_on_what():
    from benchmarks.spark import HEADING, render_section

    text = render_section(spark_results())
    assert text.splitlines()[0] == HEADING
    # The four steps with their seconds, and the Spark steps summed (30 + 40 + 50).
    for key, seconds in [
        ("duckdb build", "20.0"),
        ("spark land-parquet", "30.0"),
        ("spark dbt build", "40.0"),
        ("spark-models", "50.0"),
    ]:
        row = next(line for line in text.splitlines() if line.startswith(f"| {key} |"))
        assert f"| {seconds} | 1.25 | 0.50 / 1.75 |" in row, row
    assert "| Spark, the three steps | as `scripts/spark.sh` runs them | 120.0 |" in text
    assert "(417 nodes)" in text and "(327 nodes)" in text
    assert "| users | 1,200 | 1,200 | 1,199 |" in text
    assert "`local[2]`" in text and "1 dbt thread" in text and "2 cores" in text
    assert "pyspark 3.5.1, dbt-spark 1.9.0" in text
    assert "What would change on a cluster" in text and "no speed-up is claimed" in text
    failed = render_section(spark_results(failed="spark dbt build"))
    assert "40.0 (failed, exit 2)" in failed and "(incomplete)" in failed


def test_the_spark_section_sets_runs_of_other_sizes_beside_it():
    from benchmarks.spark import render_section

    small = spark_results()
    big = spark_results()
    big["data"] = {**big["data"], "scale": 1.0}
    big["data"]["generated_rows"] = {k: v * 10 for k, v in big["data"]["generated_rows"].items()}
    big["steps"]["spark dbt build"]["wall_s"] = 400.0
    big["command"] = "python -m benchmarks spark --scale 1 --out /tmp/y"
    assert "How each grows" not in render_section(small)
    text = render_section(big, [small])
    assert "the runs of `python -m benchmarks spark --scale 0.1 --out /tmp/x`" in text
    rows = [line for line in text.splitlines() if line.startswith(("| 0.1 |", "| 1.0 |"))]
    # Smallest first; Spark's three steps summed (30 + 40 + 50, then 30 + 400 + 50) over
    # the DuckDB build (20): 6.0x and 24.0x.
    assert rows == [
        "| 0.1 | 33,600 | 20.0 | 40.0 | 50.0 | 120.0 | 6.0x | 1.75 |",
        "| 1.0 | 336,000 | 20.0 | 400.0 | 50.0 | 480.0 | 24.0x | 1.75 |",
    ]


def test_the_spark_section_replaces_its_own_section_only():
    from benchmarks.spark import HEADING, replace_section, section

    before = "# Benchmarks\n\nintro\n\n## Steps\n\nsteps\n"
    after = "## The scores API under load (written by hand)\n\nhand text\n### sub\n\nmore\n"
    first = replace_section(before + "\n" + after, HEADING, f"{HEADING}\n\nold\n")
    assert first.endswith(f"more\n\n{HEADING}\n\nold\n")
    # Put in the middle of the file, replaced in place: the hand sections stay as they are.
    middle = before + f"\n{HEADING}\n\nold\n### old part\n\nold too\n\n" + after
    replaced = replace_section(middle, HEADING, f"{HEADING}\n\nnew\n")
    assert replaced == before + f"\n{HEADING}\n\nnew\n\n" + after
    assert section(replaced, HEADING) == f"{HEADING}\n\nnew\n"
    assert section(before, HEADING) is None
    assert replace_section("", HEADING, f"{HEADING}\n\nx\n") == f"{HEADING}\n\nx\n"


def test_the_main_benchmark_keeps_the_spark_section(tmp_path):
    from benchmarks.run import _keeping_spark_section
    from benchmarks.spark import HEADING

    output = tmp_path / "BENCHMARKS.md"
    rendered = "# Benchmarks\n\n## Steps\n\nnew steps\n"
    assert _keeping_spark_section(rendered, output) == rendered
    output.write_text(f"# Benchmarks\n\n## Steps\n\nold\n\n{HEADING}\n\nspark figures\n")
    kept = _keeping_spark_section(rendered, output)
    assert kept == f"{rendered}\n{HEADING}\n\nspark figures\n"
