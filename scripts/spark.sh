#!/usr/bin/env bash
# The Spark target (dbt-spark's session method on a local PySpark; needs Java 17).
#   bash scripts/spark.sh [dbt build arguments]   land the exports as Parquet, then
#                                                 dbt build --target spark, then the
#                                                 Python models (uptake spark-models)
#   bash scripts/spark.sh --test                  the Spark tests (pytest -m spark)
# Installs requirements-spark.lock into .venv on top of the default stack, only here.
#   UPTAKE_RAW_DIR    landing folders (default: data/sample, generated when absent)
#   UPTAKE_SPARK_DIR  Spark's warehouse, metastore and landed Parquet (default:
#                     target/spark); UPTAKE_SPARK_LANDING_DIR moves the Parquet alone
source "$(dirname "$0")/bootstrap.sh"

if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
    echo "the Spark target needs a Java runtime (17): none on the PATH, JAVA_HOME unset" >&2
    exit 1
fi

spark_stamp=".venv/.uptake-spark-installed"
spark_wanted="$(cat requirements.lock pyproject.toml requirements-spark.lock | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$spark_stamp" 2>/dev/null)" != "$spark_wanted" ]; then
    echo "==> installing the Spark packages (requirements-spark.lock) into .venv"
    # -c: the default pins hold; pip fails rather than move one of them.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -r requirements-spark.lock -c requirements.lock
    echo "$spark_wanted" > "$spark_stamp"
fi

if [ "${1:-}" = "--test" ]; then
    shift
    echo "==> pytest -m spark"
    exec pytest -m spark "$@"
fi

raw_dir="${UPTAKE_RAW_DIR:-data/sample}"
if [ -z "${UPTAKE_RAW_DIR:-}" ] && [ ! -f data/sample/GENERATOR.json ]; then
    echo "==> generating the sample data into data/sample"
    uptake generate --out data/sample
fi
export UPTAKE_SPARK_DIR="${UPTAKE_SPARK_DIR:-target/spark}"
export UPTAKE_SPARK_LANDING_DIR="${UPTAKE_SPARK_LANDING_DIR:-$UPTAKE_SPARK_DIR/landing}"

# The Python models (disabled on the Spark target: dbt-spark runs them on Databricks
# only) run after the build. --full-refresh lands every file again and refits the fits,
# as it does in dbt.
refresh=()
for arg in "$@"; do
    if [ "$arg" = "--full-refresh" ]; then refresh=(--full-refresh); fi
done

echo "==> landing the new files of $raw_dir as Parquet into $UPTAKE_SPARK_LANDING_DIR"
uptake land-parquet --raw-dir "$raw_dir" --out "$UPTAKE_SPARK_LANDING_DIR" "${refresh[@]}"

echo "==> dbt build --target spark"
dbt build --target spark "$@"

# The same python_models/ files, on the tables just built, written back through Spark.
echo "==> uptake spark-models (python_models/ on the Spark tables)"
uptake spark-models "${refresh[@]}"
