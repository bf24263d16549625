"""The ``uptake`` command: sample data and a summary of what a build produced. (The
benchmark is not part of the package: ``python -m benchmarks`` from the repository.)"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_DB_PATH = "target/uptake.duckdb"
SUMMARY_SCHEMAS = ("raw", "seeds", "staging", "intermediate", "marts", "ml")
# Relations that are rightly empty when every landed record was staged (the sample data):
# --require-rows does not ask them for rows.
EMPTY_WHEN_CLEAN = frozenset({"marts.rpt_landing_rejections"})


def db_path() -> Path:
    return Path(os.environ.get("UPTAKE_DB_PATH", DEFAULT_DB_PATH))


def relation_counts(path: Path) -> list[tuple[str, str, str, int]]:
    """(schema, name, table or view, rows) for every relation of the project's schemas."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        relations = conn.execute(
            """
            select table_schema, table_name, lower(table_type)
            from information_schema.tables
            where table_schema in (select unnest(?::varchar[]))
            order by 1, 2
            """,
            [list(SUMMARY_SCHEMAS)],
        ).fetchall()
        return [
            (
                schema,
                name,
                "view" if "view" in kind else "table",
                conn.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0],
            )
            for schema, name, kind in relations
        ]


def summary(args: argparse.Namespace) -> int:
    path = Path(args.db) if args.db else db_path()
    if not path.exists():
        print(
            f"uptake summary: no DuckDB file at {path}; run scripts/build.sh first", file=sys.stderr
        )
        return 1
    rows = relation_counts(path)
    order = {schema: i for i, schema in enumerate(SUMMARY_SCHEMAS)}
    rows.sort(key=lambda r: (order[r[0]], r[1]))
    width = max((len(f"{s}.{n}") for s, n, _, _ in rows), default=10)
    print(f"\n{'relation':<{width}}  {'kind':<5}  {'rows':>12}")
    for schema, name, kind, count in rows:
        print(f"{schema + '.' + name:<{width}}  {kind:<5}  {count:>12,}")
    print(f"\n{len(rows)} relations in {path.resolve()}")
    if args.require_rows:
        # Bookkeeping relations (a leading underscore, e.g. raw._landed_now_*: what this
        # run landed) are rightly empty when a run finds nothing new, as a second build
        # of the same landing does.
        empty = [
            f"{s}.{n}"
            for s, n, _, count in rows
            if s in args.require_rows
            and not n.startswith("_")
            and f"{s}.{n}" not in EMPTY_WHEN_CLEAN
            and count == 0
        ]
        if empty:
            print(f"uptake summary: empty relations: {', '.join(empty)}", file=sys.stderr)
            return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    from uptake import generator

    parser = argparse.ArgumentParser(prog="uptake", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser(
        "generate", help="write the synthetic landing folders (deterministic for a seed)"
    )
    generator.add_arguments(generate)
    generate.set_defaults(handler=generator.run)

    from uptake import results

    report = commands.add_parser(
        "results", help="write the figures of the built DuckDB file as a Markdown page"
    )
    results.add_arguments(report)
    report.set_defaults(handler=results.run)

    from uptake import report as html_report

    charts = commands.add_parser(
        "report",
        help="write the charts of the published marts as one self-contained HTML file",
    )
    html_report.add_arguments(charts)
    charts.set_defaults(handler=html_report.run)

    from uptake import parquet_landing

    land = commands.add_parser(
        "land-parquet",
        help="land the landing folders as all-text Parquet raw tables (for the Spark target)",
    )
    parquet_landing.add_arguments(land)
    land.set_defaults(handler=parquet_landing.run)

    from uptake import serving

    publish = commands.add_parser(
        "publish",
        help="copy the marts of a successful build into the published file readers open",
    )
    serving.add_arguments(publish)
    publish.set_defaults(handler=serving.run)

    from uptake.api import serve

    api = commands.add_parser(
        "serve", help="start the scores API (HTTP, read-only) over the published file"
    )
    serve.add_arguments(api)
    api.set_defaults(handler=serve.run)

    from uptake import spark_models

    on_spark = commands.add_parser(
        "spark-models",
        help=(
            "run the dbt Python models (python_models/) against a Spark build and write "
            "their tables through Spark"
        ),
    )
    spark_models.add_arguments(on_spark)
    on_spark.set_defaults(handler=spark_models.run)

    summarise = commands.add_parser(
        "summary", help="list the relations of the DuckDB file with their row counts"
    )
    summarise.add_argument(
        "--db", help=f"DuckDB file (default: $UPTAKE_DB_PATH or {DEFAULT_DB_PATH})"
    )
    summarise.add_argument(
        "--require-rows",
        nargs="+",
        metavar="SCHEMA",
        help=(
            "fail when a relation of these schemas is empty (e.g. raw marts); bookkeeping "
            "relations, named with a leading underscore, and those empty on clean data "
            "(marts.rpt_landing_rejections) are not checked"
        ),
    )
    summarise.set_defaults(handler=summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.handler(args)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"uptake {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
