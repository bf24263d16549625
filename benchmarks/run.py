"""``python -m benchmarks``: the project at scale, on one machine, in one run.

Steps, each a child process measured for wall time and peak memory
(:mod:`benchmarks.measure`):

1. generate Parquet landing data (default about 1 M accounts and 50 M events) into
   ``<out>/generated``;
2. hold back the last day of each landing source (:mod:`benchmarks.landing`);
3. ``dbt build --full-refresh`` on the landing (UPTAKE_RAW_DIR and UPTAKE_DB_PATH point
   into ``<out>``);
4. append the held-back day as new files and run ``dbt build`` again (the incremental
   build);
5. the adoption rule three ways (:mod:`benchmarks.adoption`): the project's model as dbt
   builds it (``dbt run --select int_accounts_adoption_computed``, timed by dbt),
   vectorised pandas on every account and the per-user rolling way on a slice of
   accounts (with vectorised pandas repeated on that slice). The results must agree
   account by account;
6. the same data written as CSV (``uptake generate --format csv``) and landed by the
   project's own landing (a ``dbt run`` whose on-run-start hook lands every folder into a
   fresh DuckDB file), then each source's CSV reader alone
   (:func:`benchmarks.landing.csv_landing_speed`); ``--no-csv`` skips this step;
7. the analyst's loop on the sample data (``uptake generate`` with its defaults, as
   ``scripts/build.sh`` makes it): ``dbt build`` into a fresh DuckDB file with a fresh
   target folder (a full parse, as after install), then ``dbt build --select`` one mart.

With ``--sizes`` (default ``0.1,0.3,1``), steps 1 to 4 run first at each smaller size (a
fraction of the scales), so that the report shows how time and memory grow with the
events (a table, and a PNG chart: :mod:`benchmarks.chart`).

The report goes to BENCHMARKS.md (:mod:`benchmarks.report`; a section that
``python -m benchmarks spark`` wrote is kept); raw figures to ``<out>/benchmark.json``.
``python -m benchmarks spark --scale S --out DIR`` builds one landing on DuckDB and on
Spark instead (:mod:`benchmarks.spark`). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from benchmarks import adoption, landing
from benchmarks.measure import Measurement, measure
from benchmarks.report import evaluate_targets, render_markdown, render_steps_table

ROOT = Path(__file__).resolve().parents[1]  # the repository: dbt project and benchmarks
DEFAULT_OUT = Path("target/benchmark")
DEFAULT_OUTPUT = Path("BENCHMARKS.md")
# Scale 1 has 12,000 accounts with about 197,000 logins, and about 92,000 page events plus
# 43,500 share/view rows. 83.34 x 12,000 = 1.0 M accounts (16.4 M logins); page events and
# share/view at 248 add 33.6 M rows: about 50 M events in all.
DEFAULT_ACCOUNTS_SCALE = 83.34
DEFAULT_EVENTS_SCALE = 248.0
DEFAULT_ROLLING_USERS = 20_000
DEFAULT_SIZES = "0.1,0.3,1"
DEFAULT_CHART = Path("docs/benchmark-scaling.png")
# The mart an analyst rebuilds on its own in the loop of step 7.
ANALYST_MART = "fct_adoption"
ON_RUN_START = "operation.uptake.uptake-on-run-start-0"


# ----------------------------------------------------------------------------- the machine


def dbt_executable() -> str:
    """dbt of the same environment as the running Python."""
    path = Path(sys.executable).parent / "dbt"
    return str(path) if path.exists() else (shutil.which("dbt") or "dbt")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _proc_value(path: str, prefix: str) -> str | None:
    file = Path(path)
    if not file.exists():
        return None
    for line in file.read_text().splitlines():
        if line.startswith(prefix):
            return line
    return None


def machine() -> dict:
    mem = _proc_value("/proc/meminfo", "MemTotal:")
    cpu = _proc_value("/proc/cpuinfo", "model name")
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem.split()[1]) / 1024**2, 1) if mem else 0.0,
        "cpu": cpu.split(":", 1)[1].strip() if cpu else platform.processor() or platform.machine(),
        "os": platform.platform(),
        "python": platform.python_version(),
        **{
            dist: _version(dist) for dist in ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "numpy")
        },
    }


def adoption_rule() -> tuple[int, int]:
    """The vars adoption_min_days and adoption_window_days of dbt_project.yml: the rule
    that the pandas ways compute as the model does."""
    import yaml

    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(project["vars"]["adoption_min_days"]), int(project["vars"]["adoption_window_days"])


# ----------------------------------------------------------------------------- dbt's results


def _run_results(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("results", [])
    except (OSError, ValueError):
        return []


def _top_nodes(run_results: Path, top: int = 10) -> list[dict]:
    nodes = [
        {
            "node": r.get("unique_id", "?"),
            "status": r.get("status"),
            "seconds": round(float(r.get("execution_time") or 0), 2),
        }
        for r in _run_results(run_results)
    ]
    nodes.sort(key=lambda n: -n["seconds"])
    return nodes[:top]


def _node_summary(run_results: Path) -> dict:
    try:
        elapsed = json.loads(run_results.read_text(encoding="utf-8")).get("elapsed_time")
    except (OSError, ValueError):
        return {}
    counts: dict[str, int] = {}
    for r in _run_results(run_results):
        counts[str(r.get("status"))] = counts.get(str(r.get("status")), 0) + 1
    return {"elapsed_s": elapsed, "nodes": counts}


def by_materialization(run_results: Path, manifest: Path) -> dict:
    """Node seconds of a build by kind: models by materialization (table = rebuilt whole,
    incremental, view), Python or SQL, and the data tests; each model's seconds too, and
    for a model rebuilt whole the reason its ``meta.rebuilt_whole`` gives (why it is
    cheaper, or must be, rebuilt than incremental)."""
    try:
        nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    except (OSError, ValueError, KeyError):
        return {}
    kinds: dict[str, dict] = {}
    for r in _run_results(run_results):
        node = nodes.get(r.get("unique_id", ""), {})
        seconds = float(r.get("execution_time") or 0)
        if node.get("resource_type") == "model":
            kind = f"{node.get('language', 'sql')} {node['config'].get('materialized')}"
        else:
            kind = node.get("resource_type") or r.get("unique_id", "?").split(".")[0]
        entry = kinds.setdefault(kind, {"seconds": 0.0, "nodes": 0, "models": {}})
        entry["seconds"] = round(entry["seconds"] + seconds, 2)
        entry["nodes"] += 1
        if node.get("resource_type") == "model":
            entry["models"][node["name"]] = round(seconds, 2)
            reason = (node["config"].get("meta") or {}).get("rebuilt_whole")
            if reason:
                entry.setdefault("reasons", {})[node["name"]] = " ".join(str(reason).split())
    return kinds


def node_seconds(run_results: Path, model: str) -> float | None:
    """A model's ``execution_time`` in a run_results.json (None unless it succeeded)."""
    return unique_id_seconds(run_results, f"model.uptake.{model}")


def unique_id_seconds(run_results: Path, unique_id: str) -> float | None:
    """A node's ``execution_time`` (a model, or the on-run-start hook) in a
    run_results.json; None unless it succeeded."""
    for r in _run_results(run_results):
        if r.get("unique_id") == unique_id and r.get("status") == "success":
            return float(r["execution_time"])
    return None


def _utc_seconds(text: str) -> float:
    """A run_results.json time (ISO 8601 in UTC, ``...Z``) as seconds since the epoch, the
    scale of ``time.time()``. A time without a zone is taken as UTC, which dbt writes, never
    as the machine's local time."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def node_spans(results: list[dict], started_at: float) -> dict[str, tuple[float, float]]:
    """Each node's span in seconds since ``started_at`` (``time.time()`` of the step's start):
    from the first to the last of its timing entries. Compile counts with execute: the
    on-run-start hook lands the raw tables while it is compiled (its execute takes
    milliseconds). Nodes without timing (skipped) are left out."""
    spans = {}
    for r in results:
        times = [
            (_utc_seconds(t["started_at"]), _utc_seconds(t["completed_at"]))
            for t in r.get("timing") or []
            if t.get("started_at") and t.get("completed_at")
        ]
        if times:
            start, end = min(a for a, _ in times), max(b for _, b in times)
            spans[r.get("unique_id", "?")] = (start - started_at, end - started_at)
    return spans


def memory_by_node(
    results: list[dict],
    started_at: float,
    timeline: Sequence[tuple[float, int]],
    top: int = 10,
) -> dict | None:
    """Which dbt nodes ran while the process tree held the most memory: the step's sampled
    peak (GB), the nodes running at that sample (dbt runs 2 threads: often two of them,
    by start), and the ``top`` nodes by the largest tree RSS sampled while each ran
    (``max_rss_gb``; ``seconds``: its span). ``timeline`` is the measurement's
    ``(seconds since started_at, bytes)`` samples; a node shorter than a sample interval
    may have no sample and is then left out of ``top``. None without samples."""
    if not timeline:
        return None
    peak_s, peak = max(timeline, key=lambda sample: sample[1])  # the first, on a tie
    spans = node_spans(results, started_at)
    nodes = []
    for node, (start, end) in spans.items():
        inside = [value for t, value in timeline if start <= t <= end]
        if inside:
            nodes.append({"node": node, "max_rss": max(inside), "start": start, "end": end})
    nodes.sort(key=lambda n: (-n["max_rss"], n["start"]))
    at_peak = sorted(
        (start, node) for node, (start, end) in spans.items() if start <= peak_s <= end
    )
    return {
        "peak_gb": round(peak / 1024**3, 3),
        "peak_at_s": round(peak_s, 2),
        "at_peak": [node for _, node in at_peak],
        "top": [
            {
                "node": n["node"],
                "max_rss_gb": round(n["max_rss"] / 1024**3, 3),
                "seconds": round(n["end"] - n["start"], 2),
            }
            for n in nodes[:top]
        ],
    }


# ----------------------------------------------------------------------------- the run


@dataclass
class Run:
    """One benchmark run: its folders, its child processes' environment, and the figures
    (``results``, saved to ``<out>/benchmark.json`` after every step)."""

    out: Path
    accounts_scale: float
    events_scale: float
    results: dict = field(default_factory=dict)

    @property
    def generated(self) -> Path:
        return self.out / "generated"

    @property
    def landing(self) -> Path:
        return self.out / "landing"

    @property
    def held(self) -> Path:
        return self.out / "held_back"

    @property
    def work(self) -> Path:
        return self.out / "adoption"

    @property
    def logs(self) -> Path:
        return self.out / "logs"

    @property
    def db(self) -> Path:
        return self.out / "uptake.duckdb"

    @property
    def dbt_target(self) -> Path:
        return self.out / "dbt_target"

    def env(self) -> dict:
        return {
            **os.environ,
            "UPTAKE_RAW_DIR": str(self.landing),
            "UPTAKE_DB_PATH": str(self.db),
            "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(ROOT)),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # dbt's Python models import this repository's package, not another copy.
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p
            ),
        }

    def dbt(self, *args: str) -> list[str]:
        flags = ["--target-path", str(self.dbt_target), "--log-path", str(self.logs / "dbt")]
        return [dbt_executable(), *args, *flags]

    def step(
        self, name: str, cmd: list[str], env: dict | None = None, timeline: bool = False
    ) -> Measurement:
        """Run one child process, log its output, record and print its figures. ``env``
        overrides variables of :meth:`env` (another landing or DuckDB file); with
        ``timeline`` the measurement keeps its memory samples (not saved: see
        :func:`memory_by_node`)."""
        print(f"benchmark: {name} ...", flush=True)
        log = self.logs / (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + ".log")
        m = measure(cmd, env={**self.env(), **(env or {})}, cwd=ROOT, log=log, timeline=timeline)
        self.results["steps"][name] = {
            "wall_s": m.wall_s,
            "peak_rss_gb": m.peak_rss_gb,
            "peak_tree_gb": m.peak_tree_gb,
            "rc": m.returncode,
        }
        print(
            f"  {name}: {m.wall_s:.1f} s, peak {m.peak_rss_gb:.2f} GB, exit {m.returncode}",
            flush=True,
        )
        self.save()
        return m

    def save(self) -> None:
        text = json.dumps(self.results, indent=2) + "\n"
        (self.out / "benchmark.json").write_text(text, encoding="utf-8")


def generate_command(run: Run, seed: int, out: Path, fmt: str) -> list[str]:
    """``uptake generate`` at the run's scales."""
    return [
        sys.executable, "-m", "uptake.cli", "generate", "--out", str(out), "--seed", str(seed),
        "--format", fmt, "--scale", str(run.accounts_scale),
        "--accounts-scale", str(run.accounts_scale), "--events-scale", str(run.events_scale),
    ]  # fmt: skip


def generate(run: Run, args: argparse.Namespace) -> None:
    """Step 1: the landing data (or, with --skip-generate, that of an earlier run)."""
    if args.skip_generate and (run.generated / "GENERATOR.json").is_file():
        print(f"benchmark: reusing the data in {run.generated}", flush=True)
    elif args.skip_generate:
        raise FileNotFoundError(f"--skip-generate: no generated data in {run.generated}")
    else:
        m = run.step("generate", generate_command(run, args.seed, run.generated, "parquet"))
        if m.returncode:
            raise RuntimeError(f"generation failed; see {run.logs}")
    manifest = json.loads((run.generated / "GENERATOR.json").read_text(encoding="utf-8"))
    run.results["generator"] = {
        "seed": manifest["seed"],
        "scale": manifest["scale"],
        "component_scales": manifest.get(
            "component_scales", {"accounts": manifest["scale"], "events": manifest["scale"]}
        ),
        "rows": manifest["rows"],
        "bytes": {
            f: sum(p.stat().st_size for p in (run.generated / f).rglob("*") if p.is_file())
            for f in landing.FOLDERS
        },
    }


def hold_back(run: Run) -> None:
    """Step 2: the landing without each source's last day."""
    m = run.step(
        "hold back last day", [sys.executable, "-m", "benchmarks.run", "_holdback", str(run.out)]
    )
    if m.returncode:
        raise RuntimeError(f"hold-back failed; see {run.logs}")
    run.results["holdback"] = json.loads((run.held / "held_back.json").read_text(encoding="utf-8"))


def builds(run: Run) -> tuple[Measurement, Measurement]:
    """Steps 3 and 4: the full build, then the held-back day appended and built; for each,
    its slowest nodes and the nodes that ran when its process tree held the most memory."""
    full = run.step("dbt build --full-refresh", run.dbt("build", "--full-refresh"), timeline=True)
    _keep(run.dbt_target / "run_results.json", run.out / "run_results_full.json")
    t0 = time.perf_counter()
    run.results["appended_files"] = landing.append_held_back(
        run.landing, run.held, run.results["holdback"]
    )
    run.results["steps"]["append one day (move files)"] = {
        "wall_s": round(time.perf_counter() - t0, 3),
        "peak_rss_gb": None,
        "rc": 0,
    }
    incremental = run.step("dbt build (one more day)", run.dbt("build"), timeline=True)
    _keep(run.dbt_target / "run_results.json", run.out / "run_results_incremental.json")
    run.results["dbt"] = {}
    for key, path, m in (
        ("full", run.out / "run_results_full.json", full),
        ("incremental", run.out / "run_results_incremental.json", incremental),
    ):
        run.results["dbt"][key] = {**_node_summary(path), "top": _top_nodes(path)}
        if m.started_at is not None:
            memory = memory_by_node(_run_results(path), m.started_at, m.timeline)
            if memory:
                run.results["dbt"][key]["memory"] = memory
    run.results["dbt"]["incremental"]["by_materialization"] = by_materialization(
        run.out / "run_results_incremental.json", run.dbt_target / "manifest.json"
    )
    return full, incremental


def time_adoption_sql(run: Run) -> dict:
    """The model as dbt builds it, ``adoption.SLICE_REPEATS`` times: the node's
    execution_time from run_results.json (median), the dbt processes' wall and peak."""
    seconds, walls, peaks = [], [], []
    for i in range(adoption.SLICE_REPEATS):
        m = run.step(
            f"adoption: project SQL, dbt run {i + 1}",
            run.dbt("run", "--select", adoption.ADOPTION_MODEL),
        )
        walls.append(m.wall_s)
        peaks.append(m.peak_rss_gb)
        found = node_seconds(run.dbt_target / "run_results.json", adoption.ADOPTION_MODEL)
        if m.returncode == 0 and found is not None:
            seconds.append(found)
    counts = adoption.write_model_result(run.db, run.dbt_target / "manifest.json", run.work)
    return {
        "label": "project SQL: the model as dbt builds it (dbt run)",
        "wall_s": statistics.median(walls),
        "peak_rss_gb": max(peaks),
        "rc": 0 if seconds else 1,
        "load_s": None,
        "compute_s": round(statistics.median(seconds), 4) if seconds else None,
        "compute_runs_s": [round(s, 4) for s in seconds],
        **counts,
    }


def time_adoption_pandas(run: Run, method: str, accounts: int, rule: tuple[int, int]) -> dict:
    """One pandas way in a child process (every account, or a slice of ``accounts``)."""
    name = f"{method}_{'slice' if accounts else 'full'}"
    label = adoption.METHODS[method] + (", slice" if accounts else "")
    m = run.step(
        f"adoption: {label}",
        [
            sys.executable, "-m", "benchmarks.adoption", "--db", str(run.db),
            "--manifest", str(run.dbt_target / "manifest.json"), "--method", method,
            "--slice", str(accounts), "--work", str(run.work),
            "--min-days", str(rule[0]), "--window-days", str(rule[1]),
        ],
    )  # fmt: skip
    inner = run.work / f"{name}.json"
    timings = json.loads(inner.read_text(encoding="utf-8")) if inner.exists() else {}
    return {
        "label": label,
        "wall_s": m.wall_s,
        "peak_rss_gb": m.peak_rss_gb,
        "rc": m.returncode,
        **timings,
    }


def adoption_three_ways(run: Run, rolling_users: int) -> None:
    """Step 5: the model's SQL, vectorised pandas and the rolling way; their agreement."""
    if not run.db.exists() or not (run.dbt_target / "manifest.json").exists():
        run.results["adoption_error"] = "the builds made no DuckDB file or no dbt manifest"
        return
    rule = adoption_rule()
    results = run.results["adoption"] = {"sql_full": time_adoption_sql(run)}
    for method, accounts in (("pandas", 0), ("pandas", rolling_users), ("rolling", rolling_users)):
        name = f"{method}_{'slice' if accounts else 'full'}"
        results[name] = time_adoption_pandas(run, method, accounts, rule)
    names = ["sql", *(n for n in results if n != "sql_full")]
    run.results["agreement"] = adoption.compare_results(run.work, names, "sql")


def scaled_builds(main_run: Run, args: argparse.Namespace, size: float) -> dict:
    """Steps 1 to 4 at ``size`` times the main run's scales, in ``<out>/size-<size>``; the
    steps go into the main run's table prefixed with the size. The DuckDB file and the
    landing copies are removed afterwards (the generated data stays for --skip-generate)."""
    run = Run(
        main_run.out / f"size-{size:g}",
        round(main_run.accounts_scale * size, 4),
        round(main_run.events_scale * size, 4),
    )
    for path in (run.out, run.logs):
        path.mkdir(parents=True, exist_ok=True)
    run.results = {"steps": {}}
    try:
        generate(run, args)
        hold_back(run)
        full, incremental = builds(run)
    finally:
        for name, step in run.results["steps"].items():
            main_run.results["steps"][f"[{size:g}×] {name}"] = step
        main_run.save()
    point = scaling_point(run, size, full, incremental)
    for path in (run.db, run.landing, run.held):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    return point


def scaling_point(run: Run, size: float, full: Measurement, incremental: Measurement) -> dict:
    """One row of the table of how cost grows: the data and both builds."""
    rows = run.results["generator"]["rows"]
    return {
        "size": size,
        "accounts": rows.get("users", 0),
        "events": sum(rows.get(k, 0) for k in ("logins", "page_events", "share_view")),
        "full_s": full.wall_s,
        "full_gb": full.peak_rss_gb,
        "full_rc": full.returncode,
        "incremental_s": incremental.wall_s,
        "incremental_gb": incremental.peak_rss_gb,
        "incremental_rc": incremental.returncode,
        "landing_s": unique_id_seconds(run.out / "run_results_full.json", ON_RUN_START),
    }


def raw_counts(db: Path) -> dict:
    """Rows of each raw table of a DuckDB file (the landing's output)."""
    import duckdb

    tables = {"users": "users", "logins": "logins", "page_events": "page_events"}
    tables["share_view"] = "activities"
    with duckdb.connect(str(db), read_only=True) as conn:
        return {
            source: conn.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for source, table in tables.items()
        }


def csv_landing(run: Run, args: argparse.Namespace) -> None:
    """Step 6: the main size as a CSV export, landed by the project's landing into a fresh
    DuckDB file (the on-run-start hook of a dbt run that selects one small model,
    base_product__users), then each source's reader alone."""
    folder = run.out / "csv"
    generated, db, target = folder / "generated", folder / "uptake.duckdb", folder / "dbt_target"
    folder.mkdir(parents=True, exist_ok=True)
    if not (args.skip_generate and (generated / "GENERATOR.json").is_file()):
        m = run.step(
            "generate the same data as CSV", generate_command(run, args.seed, generated, "csv")
        )
        if m.returncode:
            run.results["csv_error"] = f"CSV generation failed; see {run.logs}"
            return
    for path in (db, db.with_suffix(".duckdb.wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    cmd = [
        dbt_executable(), "run", "--select", "base_product__users",
        "--target-path", str(target), "--log-path", str(run.logs / "dbt"),
    ]  # fmt: skip
    m = run.step(
        "land the CSV export (dbt run: on-run-start)",
        cmd,
        env={"UPTAKE_RAW_DIR": str(generated), "UPTAKE_DB_PATH": str(db)},
    )
    manifest = json.loads((generated / "GENERATOR.json").read_text(encoding="utf-8"))
    result = {
        "wall_s": m.wall_s,
        "peak_rss_gb": m.peak_rss_gb,
        "rc": m.returncode,
        "landing_s": unique_id_seconds(target / "run_results.json", ON_RUN_START),
        "bytes": {
            f: sum(p.stat().st_size for p in (generated / f).rglob("*") if p.is_file())
            for f in landing.FOLDERS
        },
        "generated_rows": manifest["rows"],
    }
    if m.returncode == 0:
        result["raw_rows"] = raw_counts(db)
        result["rows_match"] = result["raw_rows"] == {
            f: manifest["rows"].get(f, 0) for f in landing.FOLDERS
        }
    run.results["csv_landing"] = result
    run.save()
    print("benchmark: CSV readers, one source at a time ...", flush=True)
    try:
        result["readers"] = landing.csv_landing_speed(generated)
    except Exception as error:  # noqa: BLE001 (reported, the run goes on)
        result["readers_error"] = str(error)
    run.save()
    for path in (db, generated):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def analyst_loop(run: Run, args: argparse.Namespace) -> None:
    """Step 7: the sample data, ``dbt build`` into a fresh file with a fresh target folder,
    then ``dbt build --select`` one mart."""
    folder = run.out / "sample"
    generated, db, target = folder / "generated", folder / "uptake.duckdb", folder / "dbt_target"
    folder.mkdir(parents=True, exist_ok=True)
    if not (generated / "GENERATOR.json").is_file():
        cmd = [sys.executable, "-m", "uptake.cli", "generate", "--out", str(generated)]
        if run.step("analyst: generate the sample data", cmd).returncode:
            run.results["analyst_error"] = f"sample generation failed; see {run.logs}"
            return
    for path in (db, db.with_suffix(".duckdb.wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    env = {"UPTAKE_RAW_DIR": str(generated), "UPTAKE_DB_PATH": str(db)}
    flags = ["--target-path", str(target), "--log-path", str(run.logs / "dbt")]
    build = run.step(
        "analyst: dbt build on the sample (fresh file and target)",
        [dbt_executable(), "build", *flags],
        env=env,
    )
    _keep(target / "run_results.json", run.out / "run_results_sample.json")
    one = run.step(
        f"analyst: dbt build --select {ANALYST_MART}",
        [dbt_executable(), "build", "--select", ANALYST_MART, *flags],
        env=env,
    )
    _keep(target / "run_results.json", run.out / "run_results_sample_one.json")
    run.results["analyst"] = {
        "build": {"wall_s": build.wall_s, "peak_rss_gb": build.peak_rss_gb, "rc": build.returncode},
        "one_mart": {
            "mart": ANALYST_MART,
            "wall_s": one.wall_s,
            "peak_rss_gb": one.peak_rss_gb,
            "rc": one.returncode,
        },
    }
    run.results.setdefault("dbt", {})["sample"] = {
        **_node_summary(run.out / "run_results_sample.json"),
        "top": _top_nodes(run.out / "run_results_sample.json"),
    }
    run.save()


def _keep(source: Path, target: Path) -> None:
    if source.exists():
        shutil.copy(source, target)


def _new_run(args: argparse.Namespace) -> Run:
    if args.scale is not None:
        accounts_scale = args.accounts_scale or args.scale
        events_scale = args.events_scale or args.scale
    else:
        accounts_scale = args.accounts_scale or DEFAULT_ACCOUNTS_SCALE
        events_scale = args.events_scale or DEFAULT_EVENTS_SCALE
    if args.rolling_users < 1:
        raise ValueError("--rolling-users must be at least 1")
    sizes = parse_sizes(args.sizes)
    accounts_scale, events_scale = accounts_scale * sizes[-1], events_scale * sizes[-1]
    if not (accounts_scale > 0 and events_scale > 0):
        raise ValueError("scales must be positive")
    run = Run(Path(args.out).resolve(), accounts_scale, events_scale)
    for path in (run.out, run.work, run.logs):
        path.mkdir(parents=True, exist_ok=True)
    run.results = {
        "command": shlex.join(["python", "-m", "benchmarks", *args.argv]),
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "out": str(run.out),
        "steps": {},
    }
    return run


def _earlier_results(out: Path) -> dict:
    """The raw figures of an earlier run in the same folder (``--reuse-sizes``)."""
    try:
        return json.loads((out / "benchmark.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def parse_sizes(text: str) -> list[float]:
    """``0.2,0.5,1`` -> [0.2, 0.5, 1.0]: fractions of the scales, the largest last (the
    main run)."""
    try:
        sizes = sorted({float(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise ValueError(f"--sizes: not a list of numbers: {text!r}") from None
    if not sizes or sizes[0] <= 0:
        raise ValueError(f"--sizes: give positive numbers, e.g. {DEFAULT_SIZES}")
    return sizes


def _finish(
    run: Run, output: Path, chart: Path, full: Measurement, incremental: Measurement
) -> int:
    """Targets, the report and its chart, and the exit code: 1 when a step failed, the
    adoption results disagree or were not measured."""
    results = run.results
    results["targets"] = evaluate_targets(results, full, incremental)
    results["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    run.save()
    if len(results.get("scaling", [])) > 1:
        from benchmarks.chart import write_chart

        write_chart(results["scaling"], chart)
        results["chart"] = os.path.relpath(chart, output.parent)
        run.save()
    output.write_text(_keeping_spark_section(render_markdown(results), output), encoding="utf-8")
    print(render_steps_table(results))
    print(f"benchmark: report {output}; raw figures {run.out / 'benchmark.json'}")
    failed = [n for n, s in results["steps"].items() if s.get("rc")]
    if results.get("csv_landing", {}).get("rows_match") is False:
        failed.append("CSV landing: the raw tables do not hold the generated rows")
    mismatched = [a for a in results.get("agreement", []) if a["mismatches"]]
    if failed:
        print(f"benchmark: steps that failed: {', '.join(failed)}", file=sys.stderr)
    if mismatched:
        print("benchmark: adoption results disagree (see report)", file=sys.stderr)
    return 1 if failed or mismatched or "adoption_error" in results else 0


def _keeping_spark_section(markdown: str, output: Path) -> str:
    """The report with the section that ``python -m benchmarks spark`` wrote into
    ``output`` earlier (if any) carried over: this run does not measure Spark."""
    from benchmarks.spark import HEADING, replace_section, section

    kept = section(output.read_text(encoding="utf-8"), HEADING) if output.exists() else None
    return replace_section(markdown, HEADING, kept) if kept else markdown


def run_benchmark(args: argparse.Namespace) -> int:
    """Every step in order; see the module docstring."""
    earlier = _earlier_results(Path(args.out).resolve()) if args.reuse_sizes else {}
    run = _new_run(args)
    sizes = parse_sizes(args.sizes)
    run.results["scaling"] = []
    for size in sizes[:-1]:
        fraction = size / sizes[-1]
        kept = [p for p in earlier.get("scaling", []) if p["size"] == round(fraction, 4)]
        if kept:  # --reuse-sizes: this size's builds of an earlier run in the same folder
            print(f"benchmark: reusing the builds at {fraction:g}x of {earlier['started']}")
            run.results["scaling"].append({**kept[0], "reused_from": earlier["started"]})
            prefix = f"[{fraction:g}×] "
            for name, step in earlier.get("steps", {}).items():
                if name.startswith(prefix):
                    run.results["steps"][name] = step
        else:
            run.results["scaling"].append(scaled_builds(run, args, fraction))
    generate(run, args)
    hold_back(run)
    full, incremental = builds(run)
    run.results["scaling"].append(scaling_point(run, 1.0, full, incremental))
    for point in run.results["scaling"]:
        point["size"] = round(point["size"] * sizes[-1], 4)
    adoption_three_ways(run, args.rolling_users)
    if not args.no_csv:
        csv_landing(run, args)
    analyst_loop(run, args)
    return _finish(run, Path(args.output).resolve(), args.chart.resolve(), full, incremental)


# ----------------------------------------------------------------------------- the command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Generate a large data set, time the full and incremental dbt builds "
        "and the adoption rule three ways; write BENCHMARKS.md. Run from the repository root.",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="one scale for every component (default: accounts "
        f"{DEFAULT_ACCOUNTS_SCALE}, events {DEFAULT_EVENTS_SCALE}: ~1 M accounts, ~50 M events)",
    )
    parser.add_argument(
        "--accounts-scale", type=float, default=None, help="scale of users and logins"
    )
    parser.add_argument(
        "--events-scale", type=float, default=None, help="scale of page events and share/view"
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: 42)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"benchmark folder: data, DuckDB file, logs (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--rolling-users",
        type=int,
        default=DEFAULT_ROLLING_USERS,
        help=f"accounts in the slice for the rolling way (default: {DEFAULT_ROLLING_USERS:,})",
    )
    parser.add_argument(
        "--skip-generate",
        action="store_true",
        help="reuse the data generated in <out>/generated by an earlier run",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"the report (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help="fractions of the scales to build at, the largest is the main run "
        f"(default: {DEFAULT_SIZES}; '1' for one size)",
    )
    parser.add_argument(
        "--chart",
        type=Path,
        default=DEFAULT_CHART,
        help=f"the PNG of time and memory against events (default: {DEFAULT_CHART})",
    )
    parser.add_argument(
        "--reuse-sizes",
        action="store_true",
        help="take the smaller sizes' builds from the benchmark.json of an earlier run in "
        "--out (the report says so) instead of building them again",
    )
    parser.add_argument(
        "--no-csv",
        action="store_true",
        help="skip landing the main size as a CSV export (step 6)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["spark"]:  # Spark and DuckDB on the same data: benchmarks/spark.py
        from benchmarks import spark

        return spark.main(argv[1:])
    if argv[:1] == ["_holdback"]:  # the child step of hold_back
        out = Path(argv[1])
        report = landing.hold_back(out / "generated", out / "landing", out / "held_back")
        print(json.dumps(report, indent=2))
        return 0
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return run_benchmark(args)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"benchmark: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
