#!/usr/bin/env bash
# Install everything, generate the sample data if needed, run `dbt build`, summarise.
#   UPTAKE_RAW_DIR  landing folders to read (default: data/sample, generated when absent)
#   UPTAKE_DB_PATH  DuckDB file to build (default: target/uptake.duckdb)
#   UPTAKE_PUBLISHED_PATH  the copy of the marts readers open, replaced after a build
#                   that succeeded (default: target/published.duckdb)
# Extra arguments go to dbt build (e.g. --select staging).
source "$(dirname "$0")/bootstrap.sh"

if [ -z "${UPTAKE_RAW_DIR:-}" ] && [ ! -f data/sample/GENERATOR.json ]; then
    echo "==> generating the sample data into data/sample"
    uptake generate --out data/sample
fi

echo "==> dbt build"
dbt build "$@"

# Readers (BI tools, uptake report, uptake serve) open the published file, never the file
# dbt writes: it is replaced atomically, and only after a build that succeeded.
echo "==> uptake publish (the file readers open)"
uptake publish

echo "==> dbt docs generate (the model catalogue: target/index.html, catalog.json)"
dbt docs generate --no-compile --quiet

uptake summary
