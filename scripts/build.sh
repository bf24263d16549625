#!/usr/bin/env bash
# Install everything, generate the sample data if needed, run `dbt build`, publish,
# summarise, write the report.
#   UPTAKE_RAW_DIR  landing folders to read (default: data/sample, generated when absent)
#   UPTAKE_DB_PATH  DuckDB file to build (default: target/uptake.duckdb)
#   UPTAKE_PUBLISHED_PATH  the copy of the marts readers open, replaced after a build
#                   that succeeded (default: target/published.duckdb)
#   UPTAKE_REPORT_PATH  the HTML report written from it last (default: target/report.html)
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

# Last, so that its path is the build's last line: the charts of the published marts,
# one self-contained HTML file (opens offline).
echo "==> uptake report (the charts people look at)"
uptake report --out "${UPTAKE_REPORT_PATH:-target/report.html}"
