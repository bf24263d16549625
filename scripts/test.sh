#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, dbt build on the landing fixtures (data
# tests and unit tests), the metrics layer's checks, the convention checks (dbt-bouncer),
# pytest.
source "$(dirname "$0")/bootstrap.sh"

echo "==> ruff"
ruff check src tests python_models benchmarks
ruff format --check src tests python_models benchmarks

echo "==> sqlfluff lint"
sqlfluff lint models analyses tests

echo "==> dbt build on tests/landing_fixtures"
# --full-refresh: the fixtures change with the code, and landing refuses a changed file.
UPTAKE_DB_PATH=target/fixtures.duckdb dbt build --full-refresh --vars '{raw_dir: tests/landing_fixtures}'

echo "==> the metrics layer: mf validate-configs on the fixtures build"
# dbt parsed the semantic models, metrics and saved queries above (target/
# semantic_manifest.json); MetricFlow checks them again and runs each metric's
# queries on target/fixtures.duckdb (about 20 s). It opens that file through the dev
# target, so nothing else may hold it now.
UPTAKE_DB_PATH=target/fixtures.duckdb mf validate-configs

echo "==> dbt-bouncer (the project's conventions, dbt-bouncer.yml, on target/manifest.json)"
dbt-bouncer run --config-file dbt-bouncer.yml

echo "==> pytest (the Spark tests apart: bash scripts/spark.sh --test)"
pytest -m "not spark"
