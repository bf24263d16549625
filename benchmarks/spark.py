"""``python -m benchmarks spark --scale S --out DIR``: Spark and DuckDB on the same data.

One landing is generated (``uptake generate --scale S``, Parquet by default) into
``DIR/generated``; then, each a child process measured for wall time and peak memory
(:mod:`benchmarks.measure`: the process tree, so Spark's JVM counts):

1. DuckDB: ``dbt build`` into a fresh DuckDB file with a fresh target folder (the
   on-run-start hook lands the files; every SQL and Python model, seed, data and unit
   test);
2. Spark, as ``scripts/spark.sh`` runs it, into a fresh ``DIR/spark`` (warehouse and
   Derby metastore): ``uptake land-parquet``, ``dbt build --target spark`` (the SQL models,
   seeds and tests; the Python models are disabled there), ``uptake spark-models`` (the
   same ``python_models/`` files on the Spark tables).

It records the rows of each source (generated, and landed on each engine), the versions,
the machine, the Spark and DuckDB settings and the load average before and after each
step; writes ``DIR/spark_benchmark.json`` and replaces the section "Spark and DuckDB on
the same data" of BENCHMARKS.md (the rest of the file is left as it is). Not part of the
test suite; run on an idle machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.measure import measure
from benchmarks.run import (
    DEFAULT_OUTPUT,
    ROOT,
    _node_summary,
    _version,
    dbt_executable,
    machine,
    raw_counts,
)

HEADING = "## Spark and DuckDB on the same data"
DEFAULT_OUT = Path("target/benchmark-spark")
# Landing folder -> raw table (the landing sources' meta raw_table, without schema).
RAW_TABLES = {
    "users": "users",
    "logins": "logins",
    "page_events": "page_events",
    "share_view": "activities",
}
SPARK_SETTINGS = {  # environment variable: profiles.yml's default
    "UPTAKE_SPARK_CORES": "2",
    "UPTAKE_SPARK_DRIVER_MEMORY": "4g",
    "UPTAKE_SPARK_SHUFFLE_PARTITIONS": "4",
    "UPTAKE_SPARK_THREADS": "1",
}
DUCKDB_SETTINGS = {
    "UPTAKE_THREADS": "2",
    "UPTAKE_DUCKDB_THREADS": "2",
    "UPTAKE_DUCKDB_MEMORY_LIMIT": "8GB",
}
# What each step's figures include, for the report.
INCLUDES = {
    "duckdb build": "`dbt build` into a fresh DuckDB file, fresh target folder (a full "
    "parse): landing by the on-run-start hook, every SQL and Python model, seeds, data "
    "and unit tests",
    "spark land-parquet": "`uptake land-parquet`: every file landed by the project's "
    "loader into a scratch DuckDB and written as all-text Parquet",
    "spark dbt build": "`dbt build --target spark`, fresh warehouse, metastore and target "
    "folder (a full parse): JVM start, every SQL model, seeds, data and unit tests; the "
    "Python models are disabled there",
    "spark-models": "`uptake spark-models`: its own SparkSession (JVM start), every "
    "`python_models/` file on the Spark tables (read into the driver), written back "
    "through Spark",
}


def java_version() -> str:
    """The first line of ``java -version`` (it writes to stderr)."""
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else None
    cmd = str(java) if java and java.exists() else shutil.which("java")
    if not cmd:
        return "not found"
    result = subprocess.run([cmd, "-version"], capture_output=True, text=True, check=False)
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[0] if lines else "unknown"


def versions() -> dict:
    return {
        **{
            dist: _version(dist)
            for dist in ("pyspark", "dbt-spark", "dbt-core", "dbt-duckdb", "duckdb", "pandas")
        },
        "java": java_version(),
    }


def settings() -> dict:
    """The Spark and DuckDB settings this run's children see (profiles.yml defaults
    unless the environment sets them)."""
    return {
        name: os.environ.get(name, default)
        for name, default in {**SPARK_SETTINGS, **DUCKDB_SETTINGS}.items()
    }


def spark_raw_counts(landing: Path) -> dict:
    """Rows of each raw table that ``uptake land-parquet`` wrote."""
    import duckdb

    with duckdb.connect() as conn:
        return {
            folder: conn.execute(
                f"select count(*) from read_parquet('{(landing / table).as_posix()}/*.parquet')"
            ).fetchone()[0]
            for folder, table in RAW_TABLES.items()
        }


class SparkRun:
    """The run's folders, its children's environment and its figures (``results``,
    saved to ``<out>/spark_benchmark.json`` after every step)."""

    def __init__(self, out: Path, argv: list[str]) -> None:
        self.out = out
        self.results: dict = {
            "command": shlex.join(["python", "-m", "benchmarks", "spark", *argv]),
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": machine(),
            "versions": versions(),
            "settings": settings(),
            "steps": {},
        }

    def env(self, extra: dict | None = None) -> dict:
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(ROOT),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p
            ),
            **(extra or {}),
        }
        env.pop("UPTAKE_TARGET", None)  # the default target is DuckDB's
        return env

    def step(self, key: str, cmd: list[str], env: dict | None = None) -> int:
        print(f"benchmark spark: {key} ...", flush=True)
        logs = self.out / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        load_before = os.getloadavg()
        m = measure(
            cmd, env=self.env(env), cwd=ROOT, log=logs / (re.sub(r"\W+", "_", key) + ".log")
        )
        load_after = os.getloadavg()
        self.results["steps"][key] = {
            "wall_s": m.wall_s,
            "peak_rss_gb": m.peak_rss_gb,
            "rc": m.returncode,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
        }
        print(f"  {key}: {m.wall_s:.1f} s, peak {m.peak_rss_gb:.2f} GB, exit {m.returncode}")
        self.save()
        return m.returncode

    def save(self) -> None:
        path = self.out / "spark_benchmark.json"
        path.write_text(json.dumps(self.results, indent=2) + "\n", encoding="utf-8")


def load_run(folder: Path) -> dict:
    """The figures an earlier run saved in ``folder``."""
    path = Path(folder) / "spark_benchmark.json"
    if not path.is_file():
        raise ValueError(f"{path} not found: not the --out folder of an earlier run")
    return json.loads(path.read_text(encoding="utf-8"))


def write_section(output: Path, results: dict, earlier: list[dict]) -> None:
    output = Path(output).resolve()
    text = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    output.write_text(replace_section(text, HEADING, render_section(results, earlier)), "utf-8")
    print(f"benchmark spark: section written to {output}")


def run_spark_benchmark(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    earlier = [load_run(folder) for folder in args.beside]
    if args.render_only:
        write_section(args.output, load_run(out), earlier)
        return 0
    out.mkdir(parents=True, exist_ok=True)
    run = SparkRun(out, args.argv)
    generated = out / "generated"
    uptake = [sys.executable, "-m", "uptake.cli"]
    if not (args.skip_generate and (generated / "GENERATOR.json").is_file()):
        shutil.rmtree(generated, ignore_errors=True)
        cmd = [*uptake, "generate", "--out", str(generated), "--seed", str(args.seed)]
        cmd += ["--scale", str(args.scale), "--format", args.format]
        if run.step("generate", cmd):
            raise RuntimeError(f"generation failed; see {out / 'logs'}")
    manifest = json.loads((generated / "GENERATOR.json").read_text(encoding="utf-8"))
    run.results["data"] = {
        "scale": manifest["scale"],
        "seed": manifest["seed"],
        "format": args.format,
        "generated_rows": {f: manifest["rows"].get(f, 0) for f in RAW_TABLES},
    }

    duck = out / "duckdb"
    shutil.rmtree(duck, ignore_errors=True)
    duck.mkdir()
    db, duck_target = duck / "uptake.duckdb", duck / "dbt_target"
    flags = ["--target-path", str(duck_target), "--log-path", str(out / "logs" / "dbt")]
    duck_env = {"UPTAKE_RAW_DIR": str(generated), "UPTAKE_DB_PATH": str(db)}
    if run.step("duckdb build", [dbt_executable(), "build", *flags], duck_env) == 0:
        run.results["data"]["duckdb_raw_rows"] = raw_counts(db)
    run.results["duckdb_nodes"] = _node_summary(duck_target / "run_results.json")

    spark = out / "spark"
    shutil.rmtree(spark, ignore_errors=True)
    spark.mkdir()
    landing, spark_target = spark / "landing", spark / "dbt_target"
    spark_env = {"UPTAKE_SPARK_DIR": str(spark), "UPTAKE_SPARK_LANDING_DIR": str(landing)}
    spark_steps = [
        ("spark land-parquet", [*uptake, "land-parquet", "--raw-dir", str(generated)]
         + ["--out", str(landing)]),
        ("spark dbt build", [dbt_executable(), "build", "--target", "spark",
         "--target-path", str(spark_target), "--log-path", str(out / "logs" / "dbt")]),
        ("spark-models", [*uptake, "spark-models", "--manifest",
         str(spark_target / "manifest.json")]),
    ]  # fmt: skip
    for key, cmd in spark_steps:
        if run.step(key, cmd, spark_env):
            break
        if key == "spark land-parquet":
            run.results["data"]["spark_raw_rows"] = spark_raw_counts(landing)
    run.results["spark_nodes"] = _node_summary(spark_target / "run_results.json")
    run.results["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    run.save()

    write_section(args.output, run.results, earlier)
    print(f"benchmark spark: figures in {run.out}/spark_benchmark.json")
    failed = [key for key, step in run.results["steps"].items() if step["rc"]]
    if failed:
        print(f"benchmark spark: steps that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


# ----------------------------------------------------------------------------- the report


def replace_section(text: str, heading: str, section: str) -> str:
    """``text`` with the section that starts at the line ``heading`` (up to the next
    heading of the same level, or the end) replaced by ``section``; appended at the end
    when there is none."""
    level = heading.split(" ", 1)[0]
    lines = text.splitlines()
    new = section.rstrip("\n").splitlines()
    if heading not in lines:
        body = text.rstrip("\n")
        return (body + "\n\n" if body else "") + "\n".join(new) + "\n"
    start = lines.index(heading)
    after = lines[_section_end(lines, start, level) :]
    return "\n".join([*lines[:start], *new, *([""] + after if after else [])]) + "\n"


def section(text: str, heading: str) -> str | None:
    """The section of ``text`` that starts at the line ``heading`` (None: there is none)."""
    lines = text.splitlines()
    if heading not in lines:
        return None
    level = heading.split(" ", 1)[0]
    start = lines.index(heading)
    end = _section_end(lines, start, level)
    return "\n".join(lines[start:end]).rstrip("\n") + "\n"


def _section_end(lines: list[str], start: int, level: str) -> int:
    """The index of the first heading after ``start`` of ``level`` or above."""
    above = {"#" * n for n in range(1, len(level) + 1)}
    return next(
        (i for i in range(start + 1, len(lines)) if lines[i].split(" ", 1)[0] in above),
        len(lines),
    )


def _seconds(step: dict | None) -> str:
    if not step:
        return "not run"
    text = f"{step['wall_s']:,.1f}"
    return text if not step["rc"] else f"{text} (failed, exit {step['rc']})"


def _nodes(summary: dict) -> str:
    counts = summary.get("nodes") or {}
    return f"{sum(counts.values()):,} nodes" if counts else "no run_results"


SPARK_STEPS = ("spark land-parquet", "spark dbt build", "spark-models")


def growth_table(runs: list[dict]) -> list[str]:
    """Markdown lines: one row per run (size), smallest first: the rows generated, the
    DuckDB build, Spark's three steps and the ratio of the two."""
    lines = [
        "| scale | source rows | DuckDB build s | Spark dbt build s | spark-models s | "
        "Spark, three steps s | Spark / DuckDB | load (1 min) before / after, max |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in sorted(runs, key=lambda run: run.get("data", {}).get("scale") or 0):
        steps, data = r["steps"], r.get("data", {})
        rows = sum((data.get("generated_rows") or {}).values())
        duck = steps.get("duckdb build", {}).get("wall_s")
        spark = sum(steps[k]["wall_s"] for k in SPARK_STEPS if k in steps)
        loads = [x for st in steps.values() for x in (st["load_before"][0], st["load_after"][0])]
        ratio = f"{spark / duck:.1f}x" if duck else "—"
        lines.append(
            f"| {data.get('scale')} | {rows:,} | {_seconds(steps.get('duckdb build'))} | "
            f"{_seconds(steps.get('spark dbt build'))} | {_seconds(steps.get('spark-models'))} "
            f"| {spark:,.1f} | {ratio} | {max(loads, default=0):.2f} |"
        )
    return lines


def render_section(r: dict, earlier: list[dict] | None = None) -> str:
    """The markdown of the section (see :data:`HEADING`): the run ``r`` in full, and a
    table of it beside the ``earlier`` runs (other sizes) when there are any."""
    m, v, s, steps = r["machine"], r["versions"], r["settings"], r["steps"]
    data = r.get("data", {})
    loads = [x for step in steps.values() for x in (step["load_before"][0], step["load_after"][0])]
    lines = [
        HEADING,
        "",
        f"`{r['command']}`, {r['started']}. Written by the command; the rest of this file "
        "is left as it is.",
        "",
        f"**Same data, same machine.** One landing (generator scale {data.get('scale')}, "
        f"seed {data.get('seed')}, {data.get('format')} files) built by both engines on "
        f"{m['cores']} cores, {m['memory_gb']} GB ({m['cpu']}). DuckDB: `dbt build` with "
        f"{s['UPTAKE_THREADS']} dbt threads, DuckDB threads {s['UPTAKE_DUCKDB_THREADS']}, "
        f"memory limit {s['UPTAKE_DUCKDB_MEMORY_LIMIT']}. Spark: `local[{s['UPTAKE_SPARK_CORES']}]`"
        f" in dbt's process (dbt-spark's session method), {s['UPTAKE_SPARK_THREADS']} dbt "
        f"thread, driver memory {s['UPTAKE_SPARK_DRIVER_MEMORY']}, "
        f"{s['UPTAKE_SPARK_SHUFFLE_PARTITIONS']} shuffle partitions, plain Parquet tables. "
        f"1-minute load average between {min(loads, default=0):.2f} and "
        f"{max(loads, default=0):.2f} before and after the steps (a step's figure after "
        "it counts its own processes; a load well above the cores before a step means "
        "something else was running and the seconds are slower than alone).",
        "",
        "| source | generated rows | raw rows on DuckDB | raw rows on Spark |",
        "| --- | ---: | ---: | ---: |",
    ]
    for folder in RAW_TABLES:

        def count(key: str, folder: str = folder) -> str:
            value = data.get(key, {}).get(folder)
            return "—" if value is None else f"{value:,}"

        lines.append(
            f"| {folder} | {count('generated_rows')} | {count('duckdb_raw_rows')} | "
            f"{count('spark_raw_rows')} |"
        )
    spark_keys = SPARK_STEPS
    spark_total = sum(steps[k]["wall_s"] for k in spark_keys if k in steps)
    lines += [
        "",
        "| step | what the figure includes | wall s | peak GB (process tree) | "
        "load before / after |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for key in ("duckdb build", *spark_keys):
        step = steps.get(key)
        detail = INCLUDES[key]
        if key == "duckdb build":
            detail += f" ({_nodes(r.get('duckdb_nodes', {}))})"
        if key == "spark dbt build":
            detail += f" ({_nodes(r.get('spark_nodes', {}))})"
        peak = f"{step['peak_rss_gb']:.2f}" if step else "—"
        load = f"{step['load_before'][0]:.2f} / {step['load_after'][0]:.2f}" if step else "—"
        lines.append(f"| {key} | {detail} | {_seconds(step)} | {peak} | {load} |")
    all_spark = all(k in steps and not steps[k]["rc"] for k in spark_keys)
    lines += [
        f"| Spark, the three steps | as `scripts/spark.sh` runs them | "
        f"{spark_total:,.1f}{'' if all_spark else ' (incomplete)'} | — | — |",
        "",
        f"Versions: pyspark {v['pyspark']}, dbt-spark {v['dbt-spark']}, dbt-core "
        f"{v['dbt-core']}, dbt-duckdb {v['dbt-duckdb']}, duckdb {v['duckdb']}, "
        f"{v['java']}; Python {m['python']}, {m['os']}.",
    ]
    if earlier:
        lines += [
            "",
            "How each grows with the data (this run and the runs of "
            + ", ".join(f"`{e['command']}`" for e in earlier)
            + ", same machine and settings):",
            "",
            *growth_table([*earlier, r]),
        ]
    lines += [
        "",
        "Not a race: the builds differ in what they do. DuckDB lands in its hook and "
        "runs the Python models inside `dbt build`; Spark's landing and Python models "
        "are separate steps (listed), its incremental strategies rewrite whole tables "
        "(plain Parquet), and each statement pays Spark's planning and task overhead.",
        "",
        "**What would change on a cluster** (not measured: no cluster was at hand, and "
        "no speed-up is claimed):",
        "",
        "- *Per-statement overhead.* Each of Spark's statements has a fixed cost "
        "(planning, task scheduling, the metastore), not separated from the data's here; "
        "a cluster adds network and executor scheduling to it, so a small build would "
        "not get faster. What a cluster can change is the part that grows with the rows.",
        "- *`uptake spark-models` is bounded by the driver.* It reads each table a model "
        "refs whole into the driver (Arrow) and writes the scored tables from it: the fits "
        "use bounded samples, but the feature and scored tables pass through driver "
        "memory. On a cluster the driver's memory, not the executors', is its limit.",
        "- *Parquet vs Delta.* The plain Parquet tables here make `delete+insert` "
        "rewrite the whole table; on Delta (or Iceberg, Hudi) tables `merge` and deletes "
        "touch only the changed files, which matters for the incremental runs, not for "
        "this full build.",
        "- *Landing.* `uptake land-parquet` runs on one machine (the project's loader); on "
        "a cluster it would write to storage the cluster reads, at the same cost.",
        "",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks spark",
        description="Build one generated landing on DuckDB and on Spark (local mode), "
        "measure each step, and write the section 'Spark and DuckDB on the same data' of "
        "BENCHMARKS.md. Run from the repository root, with the Spark stack installed "
        "(bash scripts/spark.sh installs it).",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="generator scale (default 1)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: 42)")
    parser.add_argument(
        "--format", choices=("parquet", "csv"), default="parquet", help="landing files"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"work folder (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="the report (default: BENCHMARKS.md)"
    )
    parser.add_argument(
        "--skip-generate", action="store_true", help="reuse <out>/generated of an earlier run"
    )
    parser.add_argument(
        "--beside",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="the --out folder of an earlier run (another size): the section gets a table "
        "of how each step grows, this run beside it (repeatable)",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="run nothing: write the section again from <out>/spark_benchmark.json",
    )
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    args.argv = argv
    if not args.scale > 0:
        print("benchmark spark: --scale must be positive", file=sys.stderr)
        return 1
    try:
        return run_spark_benchmark(args)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"benchmark spark: {error}", file=sys.stderr)
        return 1
