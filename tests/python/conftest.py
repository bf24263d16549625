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


def run_dbt(
    args: list[str], raw_dir: Path, db_path: Path, extra_vars: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the dbt CLI of this interpreter's environment in the project folder."""
    command, env = dbt_command(args, raw_dir, db_path, extra_vars)
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
    )


def dbt_command(
    args: list[str], raw_dir: Path, db_path: Path, extra_vars: dict | None = None
) -> tuple[list[str], dict[str, str]]:
    """The dbt command line and environment of :func:`run_dbt`."""
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


@pytest.fixture(scope="session")
def sample_db(sample_dir, tmp_path_factory) -> Path:
    """The generated sample built by `dbt build` (all models and tests)."""
    db_path = tmp_path_factory.mktemp("sample_db") / "sample.duckdb"
    result = run_dbt(["build"], sample_dir, db_path)
    assert result.returncode == 0, result.stdout[-5000:]
    return db_path
