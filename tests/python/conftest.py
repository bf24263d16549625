"""Shared helpers: run dbt against a DuckDB file of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, settings

# Generated-input tests (test_fuzz_landing.py): a small fixed set of examples by default,
# so that CI stays quick and repeatable; HYPOTHESIS_PROFILE=long for a longer, random run.
_FUZZ = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("default", max_examples=40, derandomize=True, database=None, **_FUZZ)
settings.register_profile("long", max_examples=1000, **_FUZZ)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT_DIR / "tests" / "landing_fixtures"

# The fit settings and the dbt vars they come from (python_models/fits/_fits__models.yml).
SETTINGS_VARS = {
    "seed": "ml_seed",
    "test_fraction": "ml_test_fraction",
    "bootstrap_samples": "ml_bootstrap_samples",
    "max_train_rows": "ml_max_train_rows",
    "cv_folds": "ml_cv_folds",
    "max_importance_rows": "ml_max_importance_rows",
    "max_bootstrap_rows": "ml_max_bootstrap_rows",
    "max_eval_rows": "ml_max_eval_rows",
    "auc_bootstrap_samples": "ml_auc_bootstrap_samples",
    "fence_quantiles": "on_the_fence_quantiles",
}


def project_settings(**changes):
    """uptake.ml.Settings as a build fits with (the vars of dbt_project.yml), with the
    changes a test states (fewer folds, another seed ...)."""
    import yaml

    from uptake.ml import Settings

    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    values = {name: project["vars"][var] for name, var in SETTINGS_VARS.items()}
    values["fence_quantiles"] = tuple(values["fence_quantiles"])
    return Settings(**{**values, **changes})


def dbt_command(
    args: list[str], raw_dir: Path, db_path: Path, extra_vars: dict | None = None
) -> tuple[list[str], dict]:
    """The dbt CLI of this interpreter's environment, and its environment, for a run on
    ``db_path`` (its dbt target folder beside it) reading ``raw_dir``."""
    env = {
        **os.environ,
        "UPTAKE_DB_PATH": str(db_path),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    env.pop("UPTAKE_RAW_DIR", None)
    dbt = Path(sys.executable).with_name("dbt")
    dbt_vars = "".join(f", {key}: {value}" for key, value in (extra_vars or {}).items())
    command = [str(dbt), *args, "--vars", f"{{raw_dir: '{raw_dir}'{dbt_vars}}}"]
    command += ["--target-path", str(db_path.parent / "dbt_target")]
    return command, env


def run_dbt(
    args: list[str], raw_dir: Path, db_path: Path, extra_vars: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the dbt CLI of this interpreter's environment in the project folder."""
    command, env = dbt_command(args, raw_dir, db_path, extra_vars)
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
    )


def assert_same_rows(actual: dict, expected: dict, same=lambda a, e: a == e) -> None:
    """Mart rows against independently computed ones, both keyed by the mart's key:
    fails listing how many rows are missing, unexpected or different, with examples."""
    missing = sorted(expected.keys() - actual.keys())
    extra = sorted(actual.keys() - expected.keys())
    differing = [
        (key, actual[key], expected[key])
        for key in sorted(actual.keys() & expected.keys())
        if not same(actual[key], expected[key])
    ]
    assert not (missing or extra or differing), "\n".join(
        [f"{len(missing)} of {len(expected)} expected rows missing from the mart"]
        + [f"  {key}: {expected[key]}" for key in missing[:5]]
        + [f"{len(extra)} unexpected rows in the mart"]
        + [f"  {key}: {actual[key]}" for key in extra[:5]]
        + [f"{len(differing)} rows differ; e.g. (key, mart, expected):"]
        + [f"  {key}: {a} != {e}" for key, a, e in differing[:5]]
    )


def query(db_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def reuse_rm_ids_across_customers(db_path: Path) -> int:
    """An RM ID is unique only within its customer's export: two real exports may use the
    same RM ID for two people. The generator draws RM IDs apart, so here, in a published
    file (``db_path``, written in place), the RMs of the second customer with shares
    take the IDs of the first customer's RMs, rank by rank, in fct_shares and fct_views.
    Nothing changes within a customer; a count of RMs across customers that leaves out
    the customer key counts fewer. Returns how many RM IDs now stand in two customers."""

    def rms(conn, code: str) -> list[str]:
        rows = conn.execute(
            "select distinct relationship_manager_id from marts.fct_shares"
            " where customer_code = ? and relationship_manager_id is not null order by 1",
            [code],
        ).fetchall()
        return [row[0] for row in rows]

    with duckdb.connect(str(db_path)) as conn:
        first, second = [
            row[0]
            for row in conn.execute(
                "select distinct customer_code from marts.fct_shares order by 1 limit 2"
            ).fetchall()
        ]
        before = len(rms(conn, second))
        pairs = list(zip(rms(conn, second), rms(conn, first), strict=False))
        conn.execute("create temp table rm_ids (old_id varchar, new_id varchar)")
        conn.executemany("insert into rm_ids values (?, ?)", pairs)
        for table in ("fct_shares", "fct_views"):
            conn.execute(
                f"update marts.{table} set relationship_manager_id = rm_ids.new_id"
                " from rm_ids where customer_code = ?"
                " and relationship_manager_id = rm_ids.old_id",
                [second],
            )
        assert len(rms(conn, second)) == before
        return len(set(rms(conn, first)) & set(rms(conn, second)))


@pytest.fixture(scope="session")
def fixtures_db(tmp_path_factory) -> Path:
    """The landing fixtures built by `dbt build` into a fresh DuckDB file."""
    db_path = tmp_path_factory.mktemp("fixtures") / "fixtures.duckdb"
    result = run_dbt(["build"], FIXTURES, db_path)
    assert result.returncode == 0, result.stdout[-5000:]
    return db_path


SAMPLE_SCALE = 0.3


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """Landing folders made by the project's generator at a small scale."""
    from uptake.generator import generate

    out = tmp_path_factory.mktemp("sample") / "landing"
    generate(out, seed=7, scale=SAMPLE_SCALE, fmt="csv")
    return out


def built_db(raw_dir: Path, folder: Path) -> Path:
    """The landing folders ``raw_dir`` built by `dbt build` into a DuckDB file (and
    dbt's target folder) in ``folder``."""
    db_path = folder / "uptake.duckdb"
    result = run_dbt(["build"], raw_dir, db_path)
    assert result.returncode == 0, result.stdout[-5000:]
    return db_path


@pytest.fixture(scope="session")
def sample_db(sample_dir, tmp_path_factory) -> Path:
    """The generated sample built by `dbt build` (all models and tests)."""
    return built_db(sample_dir, tmp_path_factory.mktemp("sample_db"))


def spark_env(spark_dir: Path) -> dict:
    """The environment of the Spark target's commands, writing under ``spark_dir``."""
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "UPTAKE_SPARK_DIR": str(spark_dir),
        "UPTAKE_SPARK_LANDING_DIR": str(spark_dir / "landing"),
    }
    env.pop("UPTAKE_RAW_DIR", None)
    env.pop("UPTAKE_TARGET", None)
    return env


def run_tool(tool: str, args: list[str], env: dict, timeout: int) -> subprocess.CompletedProcess:
    """Run a command of this interpreter's environment (uptake, dbt) in the project."""
    return subprocess.run(
        [str(Path(sys.executable).with_name(tool)), *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def build_on_spark(raw_dir: Path, spark_dir: Path) -> subprocess.CompletedProcess:
    """What scripts/spark.sh does: land as Parquet, dbt build --target spark (its
    target folder spark_dir/dbt_target); then the Python models by uptake spark-models.
    Returns the first step that failed, else the last."""
    env = spark_env(spark_dir)
    landing = run_tool(
        "uptake",
        ["land-parquet", "--raw-dir", str(raw_dir), "--out", str(spark_dir / "landing")],
        env,
        600,
    )
    if landing.returncode != 0:
        return landing
    target = spark_dir / "dbt_target"
    build = run_tool("dbt", ["build", "--target", "spark", "--target-path", str(target)], env, 2400)
    if build.returncode != 0:
        return build
    return run_tool(
        "uptake", ["spark-models", "--manifest", str(target / "manifest.json")], env, 1800
    )


@pytest.fixture(scope="session")
def spark_sample(tmp_path_factory) -> Path:
    """The sample the README's build uses: data/sample when scripts/build.sh made it,
    else the same (the generator's defaults) written here."""
    sample = PROJECT_DIR / "data" / "sample"
    if (sample / "GENERATOR.json").is_file():
        return sample
    from uptake.generator import generate

    out = tmp_path_factory.mktemp("spark_sample") / "landing"
    generate(out)
    return out


@pytest.fixture(scope="session")
def spark_build(spark_sample, tmp_path_factory) -> Path:
    """The sample built on Spark as scripts/spark.sh builds it, scored tables included
    (one build for every Spark test: each costs minutes)."""
    spark_dir = tmp_path_factory.mktemp("spark")
    result = build_on_spark(spark_sample, spark_dir)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-5000:]
    return spark_dir


# The report in a browser (tests/python/test_report.py, test_source_subsets.py).
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


@pytest.fixture(scope="session")
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
