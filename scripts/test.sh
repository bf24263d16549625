#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, dbt build on the landing fixtures (data
# tests and unit tests), the convention checks (dbt-bouncer), pytest.
source "$(dirname "$0")/bootstrap.sh"

echo "==> ruff"
ruff check src tests python_models benchmarks
ruff format --check src tests python_models benchmarks

echo "==> sqlfluff lint"
sqlfluff lint models analyses tests

echo "==> dbt build on tests/landing_fixtures"
# --full-refresh: the fixtures change with the code, and landing refuses a changed file.
UPTAKE_DB_PATH=target/fixtures.duckdb dbt build --full-refresh --vars '{raw_dir: tests/landing_fixtures}'

echo "==> dbt-bouncer (the project's conventions, dbt-bouncer.yml, on target/manifest.json)"
dbt-bouncer run --config-file dbt-bouncer.yml

echo "==> pytest (the Spark tests apart: bash scripts/spark.sh --test)"
pytest -m "not spark"
