"""A bounded load run of the scores API on localhost: requests/s and p50/p99 latency per route.

``python -m benchmarks.api_load [--db PUBLISHED] [--requests N] [--concurrency C]``

Starts ``uptake serve`` as a child process on a free port of 127.0.0.1 over the published
file (read-only; default $UPTAKE_PUBLISHED_PATH or target/published.duckdb), takes real ids
from that file, then sends each route N GET requests from C threads, each thread on its
own keep-alive connection. A route stops early after --max-seconds. Only 127.0.0.1 is
called, and the server is stopped at the end. Prints a Markdown table (and writes it to
--out if given): what BENCHMARKS.md shows. Every answer must be 200; any other fails the run.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import duckdb

from uptake.api.serve import local_server
from uptake.serving import published_path


def _ids(published: Path, count: int) -> dict[str, list[str]]:
    """Ids spread over the published marts (every k-th row), for the per-id routes."""
    with duckdb.connect(str(published), read_only=True) as conn:

        def spread(sql: str) -> list[str]:
            values = [str(row[0]) for row in conn.execute(sql).fetchall()]
            step = max(1, len(values) // count)
            return values[::step][:count] or ["0"]

        return {
            "account": spread("select user_id from marts.ml_adoption_scores order by 1"),
            "web_user": spread(
                "select distinct user_id from marts.ml_page_recommendations order by 1"
            ),
            "share": spread("select share_id from marts.ml_share_view_scores order by 1"),
        }


def routes(ids: dict[str, list[str]]) -> dict[str, list[str]]:
    """Route label -> the paths its requests cycle through."""

    def each(kind: str, template: str) -> list[str]:
        return [template.format(urllib.parse.quote(value, safe="")) for value in ids[kind]]

    return {
        "GET /health": ["/health"],
        "GET /accounts/{id}/adoption-score": each("account", "/accounts/{}/adoption-score"),
        "GET /adoption-scores (page of 100)": [
            f"/adoption-scores?limit=100&offset={offset}" for offset in range(0, 500, 100)
        ],
        "GET /web-users/{id}/page-recommendations": each(
            "web_user", "/web-users/{}/page-recommendations"
        ),
        "GET /shares/{id}/view-probability": each("share", "/shares/{}/view-probability"),
        "GET /share-view-scores (page of 100)": ["/share-view-scores?limit=100"],
        "GET /metrics": ["/metrics"],
        "GET /metrics/daily_active_users (day, by user_type)": [
            "/metrics/daily_active_users?grain=day&dimension=user_type&limit=1000"
        ],
        "GET /metrics/active_users (week, by industry)": [
            "/metrics/active_users?grain=week&dimension=industry&limit=1000"
        ],
        "GET /metrics/retention_rate (week, period 4)": [
            "/metrics/retention_rate?grain=week&period=4&limit=1000"
        ],
    }


def load(
    base: str, paths: list[str], requests: int, concurrency: int, max_seconds: float
) -> dict[str, float]:
    """``requests`` GETs over ``paths`` from ``concurrency`` threads; latencies in ms."""
    host = urllib.parse.urlsplit(base)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        try:
            while time.monotonic() < deadline:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                path = paths[number % len(paths)]
                started = time.perf_counter()
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    if response.status != 200:
                        failures.append(f"{path}: {response.status}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "seconds": wall,
        "per_second": len(ordered) / wall,
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


def table(results: dict[str, dict[str, float]], args: argparse.Namespace, rows: int) -> str:
    lines = [
        f"Scores API on 127.0.0.1 (one uvicorn process); client threads (each on one "
        f"keep-alive connection): {args.concurrency}; requests per route: {args.requests}; "
        f"published file of {rows:,} rows.",
        "",
        "| route | requests | requests/s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, result in results.items():
        lines.append(
            f"| {label} | {result['requests']:,} | {result['per_second']:,.0f} "
            f"| {result['p50_ms']:.1f} | {result['p99_ms']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_load", description=__doc__)
    parser.add_argument(
        "--db", help="published file (default: $UPTAKE_PUBLISHED_PATH or target/published.duckdb)"
    )
    parser.add_argument("--requests", type=int, default=500, help="requests per route (500)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (4)")
    parser.add_argument("--max-seconds", type=float, default=60, help="cap per route, seconds (60)")
    parser.add_argument("--out", help="also write the Markdown table to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 1_000_000 or not 1 <= args.concurrency <= 64:
        parser.error("--requests must be 1..1000000 and --concurrency 1..64")
    published = Path(args.db) if args.db else published_path()
    if not published.is_file():
        print(f"api_load: no published file at {published}; run scripts/build.sh", file=sys.stderr)
        return 1
    ids = _ids(published, 200)
    with duckdb.connect(str(published), read_only=True) as conn:
        rows = conn.execute("select total_rows from main._published").fetchone()[0]
    results = {}
    with local_server(published) as base:
        for label, paths in routes(ids).items():
            load(base, paths[:5], min(20, args.requests), 1, args.max_seconds)  # warm-up
            results[label] = load(base, paths, args.requests, args.concurrency, args.max_seconds)
            print(f"{label}: {results[label]['per_second']:.0f} req/s", file=sys.stderr)
    report = table(results, args, rows)
    print(report)
    if args.out:
        Path(args.out).write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
