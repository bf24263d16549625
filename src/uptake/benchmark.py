"""``uptake benchmark``: the project at scale, on one machine, in one run.

Steps, each a child process measured for wall time and peak memory
(``uptake.benchmark_measure``):

1. generate Parquet landing data (default about 1 M accounts and 50 M events) into
   ``<out>/generated``;
2. hold back the last day of each landing source: DuckDB copies every generated file into
   ``<out>/landing`` without the rows of that source's last date, and writes those rows to
   ``<out>/held_back``;
3. ``dbt build --full-refresh`` on the landing (UPTAKE_RAW_DIR and UPTAKE_DB_PATH point
   into ``<out>``);
4. append the held-back day as new files (``logins/zz_appended_<date>.parquet``,
   ``share_view/appended_<date>/<CODE>.parquet`` so the customer code stays the stem; no
   landed file is rewritten) and run ``dbt build`` again (the incremental build);
5. the adoption rule three ways on the same account days: the project's compiled SQL,
   vectorised pandas (sort, shift within user, compare) and the per-user rolling-window
   pandas way, the last on a slice of accounts, with SQL and vectorised pandas repeated on
   that slice for a like-for-like ratio. The results must agree user by user.

The report goes to BENCHMARKS.md; raw figures to ``<out>/benchmark.json``. Not part of
the test suite.
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
from importlib import metadata
from pathlib import Path

from uptake.benchmark_measure import Measurement, measure

DEFAULT_OUT = Path("target/benchmark")
DEFAULT_OUTPUT = Path("BENCHMARKS.md")
# Scale 1 has 12,000 accounts with about 197,000 logins, and about 92,000 page events plus
# 43,500 share/view rows. 83.34 x 12,000 = 1.0 M accounts (16.4 M logins); page events and
# share/view at 248 add 33.6 M rows: about 50 M events in all.
DEFAULT_ACCOUNTS_SCALE = 83.34
DEFAULT_EVENTS_SCALE = 248.0
DEFAULT_ROLLING_USERS = 20_000
SLICE_REPEATS = 3
ADOPTION_MODEL = "int_accounts_adoption_computed"
DAYS_RELATION = "int_user_days_aggregated"
USERS_RELATION = "stg_product__users"
FOLDERS = ("users", "logins", "page_events", "share_view")
# The column that dates a landing row (matched on the stripped, lower-cased header) and
# how its text becomes a date.
EVENT_DATE = {
    "users": ("creation_time", "iso"),
    "logins": ("time_stamp", "iso"),
    "page_events": ("ts", "iso"),
    "share_view": ("last activity date", "dd-mon-yyyy"),
}
TARGETS = {
    "full_build_s": 600.0,
    "full_build_peak_gb": 12.0,
    "incremental_share_of_full": 0.10,
    "pandas_over_sql": 5.0,
    "rolling_over_sql": 20.0,
}
TARGET_EVENTS = 50_000_000


# ----------------------------------------------------------------------------- helpers


def project_dir() -> Path:
    """The dbt project: the working directory if it holds dbt_project.yml, else the repo root."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    raise FileNotFoundError("no dbt_project.yml in the working directory or the repository")


def dbt_executable() -> str:
    """dbt of the same environment as the running Python."""
    path = Path(sys.executable).parent / "dbt"
    return str(path) if path.exists() else (shutil.which("dbt") or "dbt")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict:
    mem_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "dbt-core": _version("dbt-core"),
        "dbt-duckdb": _version("dbt-duckdb"),
        "pandas": _version("pandas"),
        "numpy": _version("numpy"),
    }


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------- hold back a day


def _date_expression(columns: list[str], folder: str) -> str:
    wanted, kind = EVENT_DATE[folder]
    names = [c for c in columns if c.strip().lower().replace("_", " ") == wanted.replace("_", " ")]
    if not names:
        raise ValueError(f"{folder}: no column {wanted!r} among {columns}")
    col = '"' + names[0].replace('"', '""') + '"'
    if kind == "iso":
        return f"try_cast(left(trim({col}), 10) as date)"
    return f"cast(try_strptime(trim({col}), '%d-%b-%Y') as date)"


def hold_back(generated: Path, landing: Path, held: Path) -> dict:
    """Copy ``generated`` to ``landing`` without each source's last day, kept in ``held``."""
    import duckdb

    for path in (landing, held):
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
    report = {}
    with duckdb.connect() as conn:
        for folder in FOLDERS:
            files = sorted(p for p in (generated / folder).rglob("*.parquet") if p.is_file())
            exprs = {}
            last = None
            for f in files:
                columns = [
                    r[0]
                    for r in conn.execute(
                        f"describe select * from read_parquet({_sql_text(str(f))})"
                    ).fetchall()
                ]
                exprs[f] = _date_expression(columns, folder)
                (m,) = conn.execute(
                    f"select max({exprs[f]}) from read_parquet({_sql_text(str(f))})"
                ).fetchone()
                if m is not None and (last is None or m > last):
                    last = m
            rows = held_rows = 0
            held_files = []
            for f in files:
                # Two passes over the file (COPY returns the rows it wrote); no count pass.
                source = f"read_parquet({_sql_text(str(f))})"
                is_last = f"coalesce({exprs[f]} = date '{last}', false)"
                target = landing / f.relative_to(generated)
                target.parent.mkdir(parents=True, exist_ok=True)
                (n_rest,) = conn.execute(
                    f"copy (select * from {source} where not {is_last}) "
                    f"to {_sql_text(str(target))} (format parquet, compression zstd)"
                ).fetchone()
                kept = held / folder / f.name
                kept.parent.mkdir(parents=True, exist_ok=True)
                (n_last,) = conn.execute(
                    f"copy (select * from {source} where {is_last}) "
                    f"to {_sql_text(str(kept))} (format parquet, compression zstd)"
                ).fetchone()
                rows += n_rest + n_last
                held_rows += n_last
                if n_last:
                    held_files.append(kept.relative_to(held).as_posix())
                else:
                    kept.unlink()
            report[folder] = {
                "files": len(files),
                "rows": rows,
                "last_date": str(last) if last else None,
                "held_back_rows": held_rows,
                "held_back_files": held_files,
            }
    (held / "held_back.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def append_held_back(landing: Path, held: Path, holdback: dict) -> list[str]:
    """Move the held-back files into the landing folders as new files; never overwrite one."""
    moved = []
    for folder, info in holdback.items():
        stamp = (info["last_date"] or "none").replace("-", "")
        for rel in info["held_back_files"]:
            source = held / rel
            name = Path(rel).name
            if folder == "share_view":  # the stem is the customer code: keep it
                target = landing / folder / f"appended_{stamp}" / name
            else:
                stem = Path(name).stem
                target = landing / folder / f"zz_appended_{stamp}_{stem}.parquet"
            if target.exists():
                raise FileExistsError(f"{target} exists: the landing is append-only")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
            moved.append(target.relative_to(landing).as_posix())
    return moved


# ----------------------------------------------------------------------------- adoption


def _relation_pattern(name: str) -> re.Pattern:
    return re.compile(r'(?:"[^"]+"\.){1,2}"' + re.escape(name) + '"')


def _substitute(sql: str, replacements: dict[str, str]) -> str:
    for name, replacement in replacements.items():
        sql, n = _relation_pattern(name).subn(replacement, sql)
        if not n:
            raise ValueError(f"compiled SQL does not read {name}")
    return sql


def _select_cte(sql: str, cte: str) -> str:
    """The compiled model with its final ``select * from final`` turned to one of its CTEs."""
    out, n = re.subn(r"select\s+\*\s+from\s+final\s*;?\s*$", f"select * from {cte}\n", sql)
    if n != 1:
        raise ValueError("compiled SQL does not end in 'select * from final'")
    return out


def _rss_gb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 3)


def _profile_top(path: Path, top: int = 6) -> list[dict]:
    """The operators of a DuckDB JSON profile that took the most time."""
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    nodes = []

    def walk(node: dict) -> None:
        name = node.get("operator_name") or node.get("operator_type") or node.get("name")
        timing = node.get("operator_timing", node.get("timing"))
        if name and timing is not None:
            nodes.append(
                {
                    "operator": str(name).strip(),
                    "seconds": round(float(timing), 4),
                    "rows": node.get("operator_cardinality", node.get("cardinality")),
                }
            )
        for child in node.get("children", []):
            walk(child)

    walk(tree)
    total = tree.get("latency") or tree.get("operator_timing")
    nodes.sort(key=lambda n: -n["seconds"])
    return [{**n, "query_latency_s": total} for n in nodes[:top]]


def adoption_child(args: argparse.Namespace) -> int:
    """One adoption computation (run as a child process); writes its result and timings."""
    import duckdb

    work = Path(args.work)
    name = f"{args.method}_{'slice' if args.slice else 'full'}"
    compiled = Path(args.compiled).read_text(encoding="utf-8")
    min_days, window = args.min_days, args.window_days
    timings: dict = {"method": args.method, "scope": "slice" if args.slice else "full"}

    conn = duckdb.connect(str(args.db), read_only=True)
    started = time.perf_counter()
    original = {
        DAYS_RELATION: _relation_pattern(DAYS_RELATION).search(compiled).group(0),
        USERS_RELATION: _relation_pattern(USERS_RELATION).search(compiled).group(0),
    }
    if args.method != "sql_compiled":
        # The inputs of the model, materialised in memory (as pandas gets them); setup time
        # is reported apart and not counted in the computation.
        where = "where user_type = 'account'"
        users_where = ""
        if args.slice:
            ids = _select_cte(compiled, "account_days")
            conn.execute(
                f"""create temp table slice_ids as
                select user_id from (select distinct user_id from ({ids}))
                order by hash(user_id), user_id limit {int(args.slice)}"""
            )
            where += " and try_cast(user_id as bigint) in (select user_id from slice_ids)"
            users_where = "where try_cast(user_id as bigint) in (select user_id from slice_ids)"
        conn.execute(
            f"create temp table bench_user_days as select user_id, user_type, activity_date "
            f"from {original[DAYS_RELATION]} {where}"
        )
        conn.execute(
            f"create temp table bench_users as select * from {original[USERS_RELATION]} "
            f"{users_where}"
        )
        sql = _substitute(
            compiled, {DAYS_RELATION: "bench_user_days", USERS_RELATION: "bench_users"}
        )
    else:
        sql = compiled
    timings["setup_s"] = round(time.perf_counter() - started, 3)

    repeats = SLICE_REPEATS if args.slice and args.method in ("sql", "pandas") else 1
    if args.method in ("sql", "sql_compiled"):
        timings["rss_after_setup_gb"] = _rss_gb()
        seconds = []
        for _ in range(repeats):
            conn.execute("drop table if exists result")
            t0 = time.perf_counter()
            conn.execute(f"create temp table result as {sql}")
            seconds.append(time.perf_counter() - t0)
        result = conn.execute(
            "select user_id, adopted_on from result where adopted_on is not null"
        ).df()
        universe = conn.execute("select distinct user_id from result").df()
        timings["input_account_days"] = conn.execute(
            f"select count(*) from ({_select_cte(sql, 'counted_days')})"
        ).fetchone()[0]
        # Profile (not timed): DuckDB's EXPLAIN ANALYZE as JSON, the top operators.
        profile = work / f"{name}_profile.json"
        conn.execute("drop table if exists result")
        conn.execute("pragma enable_profiling = 'json'")
        conn.execute(f"pragma profiling_output = {_sql_text(str(profile))}")
        conn.execute(f"create temp table result as {sql}")
        conn.execute("pragma disable_profiling")
        timings["profile_top"] = _profile_top(profile)
    else:
        t0 = time.perf_counter()
        users = conn.execute(_select_cte(sql, "users")).df()
        days = conn.execute(_select_cte(sql, "account_days")).df()
        timings["load_s"] = round(time.perf_counter() - t0, 3)
        conn.close()
        timings["rss_after_load_gb"] = _rss_gb()
        seconds = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            if args.method == "pandas":
                result, counted = adoption_vectorised(days, users, min_days, window)
            else:
                result, counted = adoption_rolling(days, users, min_days, window)
            seconds.append(time.perf_counter() - t0)
        timings["input_account_days"] = counted
        result = result.reset_index(drop=True)
        universe = users[["user_id"]].drop_duplicates()
        universe = universe[universe.user_id.isin(days.user_id)] if args.slice else universe
    timings["compute_s"] = round(statistics.median(seconds), 4)
    timings["compute_runs_s"] = [round(s, 4) for s in seconds]
    timings["users"] = len(universe)
    timings["adopted"] = len(result)
    timings["peak_rss_in_process_gb"] = _rss_gb()
    result.to_parquet(work / f"{name}.parquet", index=False)
    universe.to_parquet(work / f"{name}_universe.parquet", index=False)
    (work / f"{name}.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    return 0


def _counted_days(days, users):
    """Account days on or after signup, sorted by user and day (the rule's input)."""
    d = days.merge(users[["user_id", "signup_date"]], on="user_id", how="inner")
    d = d[d["activity_date"] >= d["signup_date"]]
    return d.sort_values(["user_id", "activity_date"], kind="stable")


def adoption_vectorised(days, users, min_days: int, window: int):
    """Sort, shift by ``min_days - 1`` within user, compare, first per user."""
    import pandas as pd

    d = _counted_days(days, users)
    nth = d.groupby("user_id", sort=False)["activity_date"].shift(-(min_days - 1))
    ok = (nth - d["activity_date"]) < pd.Timedelta(days=window)
    hits = pd.DataFrame({"user_id": d["user_id"][ok], "adopted_on": nth[ok]})
    return hits.drop_duplicates("user_id", keep="first"), len(d)


def adoption_rolling(days, users, min_days: int, window: int):
    """Per user: a date-indexed series, ``.rolling('7D').count()``, first day >= min_days."""
    import pandas as pd

    d = _counted_days(days, users)

    def first_day(dates: pd.Series):
        counts = pd.Series(1.0, index=pd.DatetimeIndex(dates.to_numpy())).rolling(f"{window}D")
        counts = counts.count()
        hit = counts.index[counts.to_numpy() >= min_days]
        return hit[0] if len(hit) else pd.NaT

    first = d.groupby("user_id")["activity_date"].apply(first_day)
    first = first.dropna()
    return pd.DataFrame({"user_id": first.index, "adopted_on": first.to_numpy()}), len(d)


def compare_results(work: Path, names: list[str], reference: str) -> list[dict]:
    """Users (of both universes) whose adopted_on differs between two results."""
    import duckdb

    def rel(name: str) -> str:
        return _sql_text(str(work / f"{name}.parquet"))

    def uni(name: str) -> str:
        return _sql_text(str(work / f"{name}_universe.parquet"))

    pairs = [(n, reference) for n in names if n != reference]
    if "rolling_slice" in names and "pandas_slice" in names:
        pairs.append(("rolling_slice", "pandas_slice"))
    out = []
    with duckdb.connect() as conn:
        for a, b in pairs:
            if not all((work / f"{n}.parquet").exists() for n in (a, b)):
                continue
            shared = f"""(select user_id from read_parquet({uni(a)})
                intersect select user_id from read_parquet({uni(b)}))"""
            n_users, mismatches = conn.execute(
                f"""
                with shared as {shared},
                a as (select * from read_parquet({rel(a)}) where user_id in (select * from shared)),
                b as (select * from read_parquet({rel(b)}) where user_id in (select * from shared))
                select
                    (select count(*) from shared),
                    count(*) filter (
                        where cast(a.adopted_on as date) is distinct from
                              cast(b.adopted_on as date))
                from a full join b on a.user_id = b.user_id
                """
            ).fetchone()
            out.append({"a": a, "b": b, "shared_users": n_users, "mismatches": mismatches})
    return out


# ----------------------------------------------------------------------------- the run


def _top_nodes(run_results: Path, top: int = 10) -> list[dict]:
    try:
        data = json.loads(run_results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    nodes = [
        {
            "node": r.get("unique_id", "?"),
            "status": r.get("status"),
            "seconds": round(float(r.get("execution_time") or 0), 2),
        }
        for r in data.get("results", [])
    ]
    nodes.sort(key=lambda n: -n["seconds"])
    return nodes[:top]


def _node_summary(run_results: Path) -> dict:
    try:
        data = json.loads(run_results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    counts: dict[str, int] = {}
    for r in data.get("results", []):
        counts[str(r.get("status"))] = counts.get(str(r.get("status")), 0) + 1
    return {"elapsed_s": data.get("elapsed_time"), "nodes": counts}


def run(args: argparse.Namespace) -> int:
    """Entry point of ``uptake benchmark``."""
    argv = getattr(args, "argv", None)
    command = shlex.join(["uptake", *(argv if argv is not None else sys.argv[1:])])
    root = project_dir()
    out = Path(args.out).resolve()
    output = Path(args.output).resolve()
    if args.scale is not None:
        accounts_scale = args.accounts_scale or args.scale
        events_scale = args.events_scale or args.scale
    else:
        accounts_scale = args.accounts_scale or DEFAULT_ACCOUNTS_SCALE
        events_scale = args.events_scale or DEFAULT_EVENTS_SCALE
    if args.rolling_users < 1:
        raise ValueError("--rolling-users must be at least 1")
    if not (accounts_scale > 0 and events_scale > 0):
        raise ValueError("scales must be positive")
    generated, landing, held = out / "generated", out / "landing", out / "held_back"
    work, logs = out / "adoption", out / "logs"
    db = out / "uptake.duckdb"
    dbt_target = out / "dbt_target"
    out.mkdir(parents=True, exist_ok=True)
    for path in (work, logs):
        path.mkdir(exist_ok=True)

    env = {
        **os.environ,
        "UPTAKE_RAW_DIR": str(landing),
        "UPTAKE_DB_PATH": str(db),
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(root)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")) if p
        ),
    }
    py = sys.executable
    dbt = dbt_executable()
    dbt_flags = ["--target-path", str(dbt_target), "--log-path", str(logs / "dbt")]
    results: dict = {
        "command": command,
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "out": str(out),
        "steps": {},
    }
    steps = results["steps"]

    def step(name: str, cmd: list[str]) -> Measurement:
        print(f"uptake benchmark: {name} ...", flush=True)
        log = logs / (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + ".log")
        m = measure(cmd, env=env, cwd=root, log=log)
        steps[name] = {"wall_s": m.wall_s, "peak_rss_gb": m.peak_rss_gb, "rc": m.returncode}
        print(
            f"  {name}: {m.wall_s:.1f} s, peak {m.peak_rss_gb:.2f} GB, exit {m.returncode}",
            flush=True,
        )
        _save(out, results)
        return m

    # 1. generate
    if args.skip_generate:
        if not (generated / "GENERATOR.json").is_file():
            raise FileNotFoundError(f"--skip-generate: no generated data in {generated}")
    else:
        m = step(
            "generate",
            [
                py, "-m", "uptake.cli", "generate", "--out", str(generated),
                "--seed", str(args.seed), "--format", "parquet",
                "--scale", str(args.scale if args.scale is not None else accounts_scale),
                "--accounts-scale", str(accounts_scale), "--events-scale", str(events_scale),
            ],
        )  # fmt: skip
        if m.returncode:
            raise RuntimeError(f"generation failed; see {logs}")
    manifest = json.loads((generated / "GENERATOR.json").read_text(encoding="utf-8"))
    results["generator"] = {
        "seed": manifest["seed"],
        "scale": manifest["scale"],
        "component_scales": manifest.get(
            "component_scales", {"accounts": manifest["scale"], "events": manifest["scale"]}
        ),
        "rows": manifest["rows"],
        "bytes": {f: _folder_bytes(generated / f) for f in FOLDERS},
    }

    # 2. hold back the last day
    m = step("hold back last day", [py, "-m", "uptake.benchmark", "_holdback", str(out)])
    if m.returncode:
        raise RuntimeError(f"hold-back failed; see {logs}")
    holdback = json.loads((held / "held_back.json").read_text(encoding="utf-8"))
    results["holdback"] = holdback

    # 3. full build
    dbt_full = step("dbt build --full-refresh", [dbt, "build", "--full-refresh", *dbt_flags])
    _keep(dbt_target / "run_results.json", out / "run_results_full.json")

    # 4. append the day, incremental build
    t0 = time.perf_counter()
    results["appended_files"] = append_held_back(landing, held, holdback)
    steps["append one day (move files)"] = {
        "wall_s": round(time.perf_counter() - t0, 3),
        "peak_rss_gb": None,
        "rc": 0,
    }
    dbt_incr = step("dbt build (one more day)", [dbt, "build", *dbt_flags])
    _keep(dbt_target / "run_results.json", out / "run_results_incremental.json")
    results["dbt"] = {
        "full": {
            **_node_summary(out / "run_results_full.json"),
            "top": _top_nodes(out / "run_results_full.json"),
        },
        "incremental": {
            **_node_summary(out / "run_results_incremental.json"),
            "top": _top_nodes(out / "run_results_incremental.json"),
        },
    }

    # 5. adoption three ways
    compile_step = step(
        "dbt compile (adoption model)", [dbt, "compile", "--select", ADOPTION_MODEL, *dbt_flags]
    )
    compiled = next(iter(sorted(dbt_target.glob(f"compiled/**/{ADOPTION_MODEL}.sql"))), None)
    adoption: dict = {}
    results["adoption"] = adoption
    if compile_step.returncode or compiled is None or not db.exists():
        results["adoption_error"] = "the adoption model did not compile or the build made no DB"
    else:
        shutil.copy(compiled, work / f"{ADOPTION_MODEL}.sql")
        runs = [
            ("sql_compiled", 0, "project SQL as compiled, against the built DB"),
            ("sql", 0, "project SQL on its inputs held in memory"),
            ("pandas", 0, "vectorised pandas (sort, shift, compare)"),
            ("sql", args.rolling_users, "project SQL, slice"),
            ("pandas", args.rolling_users, "vectorised pandas, slice"),
            ("rolling", args.rolling_users, "per-user rolling('7D') pandas, slice"),
        ]
        for method, n_slice, label in runs:
            name = f"{method}_{'slice' if n_slice else 'full'}"
            m = step(
                f"adoption: {label}",
                [
                    py, "-m", "uptake.benchmark", "_adoption", "--db", str(db),
                    "--compiled", str(work / f"{ADOPTION_MODEL}.sql"), "--method", method,
                    "--slice", str(n_slice), "--work", str(work),
                    "--min-days", str(args.min_days), "--window-days", str(args.window_days),
                ],
            )  # fmt: skip
            inner = work / f"{name}.json"
            adoption[name] = {
                "label": label,
                "wall_s": m.wall_s,
                "peak_rss_gb": m.peak_rss_gb,
                "rc": m.returncode,
                **(json.loads(inner.read_text(encoding="utf-8")) if inner.exists() else {}),
            }
        results["agreement"] = compare_results(work, list(adoption), "sql_full")

    results["targets"] = evaluate_targets(results, dbt_full, dbt_incr)
    results["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    _save(out, results)
    output.write_text(render_markdown(results), encoding="utf-8")
    print(render_steps_table(results))
    print(f"uptake benchmark: report {output}; raw figures {out / 'benchmark.json'}")
    failed = [n for n, s in steps.items() if s.get("rc")]
    mismatched = [a for a in results.get("agreement", []) if a["mismatches"]]
    if failed:
        print(f"uptake benchmark: steps that failed: {', '.join(failed)}", file=sys.stderr)
    if mismatched:
        print("uptake benchmark: adoption results disagree (see report)", file=sys.stderr)
    return 1 if failed or mismatched or "adoption_error" in results else 0


def _keep(source: Path, target: Path) -> None:
    if source.exists():
        shutil.copy(source, target)


def _save(out: Path, results: dict) -> None:
    (out / "benchmark.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------- targets, report


def _ratio(a, b):
    return round(a / b, 2) if a and b else None


def adoption_ratios(results: dict) -> dict:
    a = results.get("adoption", {})

    def compute(name):
        return (a.get(name) or {}).get("compute_s")

    def per_account(name):
        x = a.get(name) or {}
        return x["compute_s"] / x["users"] if x.get("compute_s") and x.get("users") else None

    return {
        "pandas_over_sql_full": _ratio(compute("pandas_full"), compute("sql_full")),
        "pandas_over_sql_compiled_full": _ratio(
            compute("pandas_full"), compute("sql_compiled_full")
        ),
        "pandas_over_sql_slice": _ratio(compute("pandas_slice"), compute("sql_slice")),
        "rolling_over_sql_slice": _ratio(compute("rolling_slice"), compute("sql_slice")),
        "rolling_over_pandas_slice": _ratio(compute("rolling_slice"), compute("pandas_slice")),
        "rolling_per_account_over_sql_full_per_account": _ratio(
            per_account("rolling_slice"), per_account("sql_full")
        ),
        "rolling_s_per_1000_accounts": round(per_account("rolling_slice") * 1000, 4)
        if per_account("rolling_slice")
        else None,
        "sql_full_s_per_1000_accounts": round(per_account("sql_full") * 1000, 6)
        if per_account("sql_full")
        else None,
    }


def evaluate_targets(results: dict, full: Measurement, incr: Measurement) -> list[dict]:
    ratios = adoption_ratios(results)
    results["ratios"] = ratios
    out = []

    def add(name, value, target, ok, by):
        out.append({"target": name, "value": value, "goal": target, "met": ok, "by": by})

    full_s = full.wall_s if full.returncode == 0 else None
    if full_s is not None:
        ok = full_s <= TARGETS["full_build_s"]
        add(
            "full build within 10 minutes",
            f"{full_s:.0f} s",
            "≤ 600 s",
            ok,
            f"{abs(full_s - 600):.0f} s {'under' if ok else 'over'} "
            f"({full_s / 600:.2f}× the limit)",
        )
    else:
        add("full build within 10 minutes", "build failed", "≤ 600 s", False, "the build failed")
    gb = full.peak_rss_gb
    ok = gb <= TARGETS["full_build_peak_gb"]
    add(
        "full build peak memory within 12 GB",
        f"{gb:.2f} GB",
        "≤ 12 GB",
        ok,
        f"{abs(gb - 12):.2f} GB {'under' if ok else 'over'}",
    )
    if full_s and incr.returncode == 0:
        share = incr.wall_s / full_s
        ok = share <= TARGETS["incremental_share_of_full"]
        add(
            "one-day incremental build within 10% of the full build's time",
            f"{incr.wall_s:.0f} s = {share:.0%} of {full_s:.0f} s",
            "≤ 10%",
            ok,
            f"{'under' if ok else 'over'} by {abs(share - 0.10) * 100:.0f} points "
            f"({share / 0.10:.1f}× the allowed time)",
        )
    else:
        add("one-day incremental build within 10%", "a build failed", "≤ 10%", False, "-")
    for key, name, goal in (
        ("pandas_over_sql_full", "adoption SQL ≥ 5× faster than vectorised pandas", 5.0),
        ("rolling_over_sql_slice", "adoption SQL ≥ 20× faster than per-user rolling", 20.0),
    ):
        r = ratios.get(key)
        if r is None:
            add(name, "not measured", f"≥ {goal:g}×", False, "-")
        else:
            ok = r >= goal
            add(
                name,
                f"{r:g}×",
                f"≥ {goal:g}×",
                ok,
                f"{r / goal:.2f}× the goal" + ("" if ok else f" (short by {goal - r:.1f}×)"),
            )
    return out


def render_steps_table(results: dict) -> str:
    lines = ["| step | wall s | peak RSS GB | exit |", "| --- | ---: | ---: | ---: |"]
    for name, s in results["steps"].items():
        gb = "-" if s.get("peak_rss_gb") is None else f"{s['peak_rss_gb']:.2f}"
        lines.append(f"| {name} | {s['wall_s']:.1f} | {gb} | {s.get('rc', 0)} |")
    return "\n".join(lines)


def render_markdown(r: dict) -> str:
    m = r["machine"]
    g = r.get("generator", {})
    cs = g.get("component_scales", {})
    rows = g.get("rows", {})
    events = sum(rows.get(k, 0) for k in ("logins", "page_events", "share_view"))
    hb = r.get("holdback", {})
    lines = [
        "# Benchmarks",
        "",
        'Written by `uptake benchmark` (see README, "Benchmark"); not part of the test suite.',
        "",
        f"- Command: `{r['command']}`",
        f"- Run: {r['started']} to {r.get('finished', '?')}",
        f"- Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB memory, {m['os']}",
        f"- Versions: Python {m['python']}, duckdb {m['duckdb']}, dbt-core {m['dbt-core']}, "
        f"dbt-duckdb {m['dbt-duckdb']}, pandas {m['pandas']}, numpy {m['numpy']}",
        f"- Data: seed {g.get('seed')}, accounts scale {cs.get('accounts')}, events scale "
        f"{cs.get('events')} (Parquet); {rows.get('users', 0):,} accounts and {events:,} events "
        f"(logins + page events + share/view rows)",
        f"- Folder: `{r['out']}` (landing, DuckDB file, logs, run_results, benchmark.json)",
        "",
    ]
    if events < 0.9 * TARGET_EVENTS:
        lines += [
            f"**Note:** this run has {events / 1e6:.1f} M events, not the "
            f"{TARGET_EVENTS / 1e6:.0f} M the targets are set for; the met/missed verdicts "
            "below are for this size only.",
            "",
        ]
    lines += [
        "## Data per source",
        "",
        "| source | rows | on disk (generated Parquet) | last date | held back, then appended |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    for f in FOLDERS:
        h = hb.get(f, {})
        size = g.get("bytes", {}).get(f, 0) / 1024**2
        lines.append(
            f"| {f} | {rows.get(f, 0):,} | {size:,.1f} MB | {h.get('last_date')} | "
            f"{h.get('held_back_rows', 0):,} |"
        )
    lines += [
        "",
        "## Steps",
        "",
        "Each step is a child process: wall time, and peak resident memory of the process "
        "and the children it waited for (`os.wait4`).",
        "",
        render_steps_table(r),
        "",
    ]
    a = r.get("adoption", {})
    if a:
        lines += [
            "## Adoption rule three ways",
            "",
            "The same input: the account days of `intermediate.int_user_days_aggregated` and "
            "the signup dates of `staging.stg_product__users`, through the CTEs of the "
            "compiled `int_accounts_adoption_computed`. *compute s* is the computation only "
            "(median of "
            f"{SLICE_REPEATS} runs on the slice); *setup/load s* (materialising the inputs in "
            "DuckDB, or loading them into pandas) is not counted. The project SQL runs as "
            "`create temp table ... as <compiled SQL>` in DuckDB "
            f"({m['cores']} threads) and computes the whole model (adopted_on and each "
            "account's first and last active day and day counts); pandas runs "
            "single-threaded and computes adopted_on only.",
            "",
            "| computation | accounts | counted days | adopted | setup/load s | compute s | "
            "process wall s | peak RSS GB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for x in a.values():
            setup = (x.get("setup_s") or 0) + (x.get("load_s") or 0)
            lines.append(
                f"| {x['label']} | {x.get('users', 0):,} | {x.get('input_account_days', 0):,} | "
                f"{x.get('adopted', 0):,} | {setup:.2f} | {x.get('compute_s', float('nan')):.4f} | "
                f"{x['wall_s']:.1f} | {x['peak_rss_gb']:.2f} |"
            )
        ra = r.get("ratios", {})
        lines += [
            "",
            "Ratios (compute time of the slower over the project SQL's):",
            "",
            f"- vectorised pandas / SQL, all accounts: **{ra.get('pandas_over_sql_full')}×** "
            f"(against the SQL as compiled, reading the built tables and views: "
            f"{ra.get('pandas_over_sql_compiled_full')}×)",
            f"- on the slice of {r.get('adoption', {}).get('rolling_slice', {}).get('users', 0):,}"
            f" accounts (like for like): vectorised pandas / SQL "
            f"**{ra.get('pandas_over_sql_slice')}×**, rolling / SQL "
            f"**{ra.get('rolling_over_sql_slice')}×**, rolling / vectorised pandas "
            f"{ra.get('rolling_over_pandas_slice')}×",
            f"- per account: rolling {ra.get('rolling_s_per_1000_accounts')} s per 1,000 "
            f"accounts against the SQL's {ra.get('sql_full_s_per_1000_accounts')} s per 1,000 "
            f"on all accounts: **{ra.get('rolling_per_account_over_sql_full_per_account')}×** "
            "(the rolling way at full size, extrapolated linearly)",
            "",
            "Agreement on `adopted_on` (users of both computations):",
            "",
            "| computation | against | shared accounts | mismatches |",
            "| --- | --- | ---: | ---: |",
        ]
        for c in r.get("agreement", []):
            lines.append(f"| {c['a']} | {c['b']} | {c['shared_users']:,} | {c['mismatches']} |")
        prof = (a.get("sql_full") or {}).get("profile_top") or []
        if prof:
            lines += [
                "",
                "Where the project SQL spends its time (DuckDB profile of the all-accounts "
                "run, `enable_profiling = 'json'`, top operators):",
                "",
                "| operator | s | rows |",
                "| --- | ---: | ---: |",
            ]
            for p in prof:
                lines.append(f"| {p['operator']} | {p['seconds']:.3f} | {p.get('rows') or '-'} |")
        lines.append("")
    elif r.get("adoption_error"):
        lines += ["## Adoption rule", "", r["adoption_error"], ""]
    lines += [
        "## Targets (2 cores, 24 GB, 50 M events)",
        "",
        "| target | measured | goal | met | by how much |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in r.get("targets", []):
        lines.append(
            f"| {t['target']} | {t['value']} | {t['goal']} | {'met' if t['met'] else '**missed**'}"
            f" | {t['by']} |"
        )
    for key, title in (("full", "full build"), ("incremental", "incremental build")):
        d = r.get("dbt", {}).get(key, {})
        if not d:
            continue
        lines += [
            "",
            f"## What dominates the {title}: the 10 slowest nodes",
            "",
            f"From dbt's `run_results.json` (kept as `run_results_{key}.json`); dbt's elapsed "
            f"time {d.get('elapsed_s') or 0:.0f} s, nodes by status {d.get('nodes')}.",
            "",
            "| node | status | s |",
            "| --- | --- | ---: |",
        ]
        for n in d.get("top", []):
            lines.append(f"| `{n['node']}` | {n['status']} | {n['seconds']:.1f} |")
    lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``uptake benchmark``."""
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
    parser.add_argument("--min-days", type=int, default=3, help=argparse.SUPPRESS)
    parser.add_argument("--window-days", type=int, default=7, help=argparse.SUPPRESS)


def _child_main(argv: list[str]) -> int:
    """The child steps: ``_holdback OUT`` and ``_adoption ...``."""
    parser = argparse.ArgumentParser(prog="python -m uptake.benchmark")
    sub = parser.add_subparsers(dest="step", required=True)
    h = sub.add_parser("_holdback")
    h.add_argument("out", type=Path)
    a = sub.add_parser("_adoption")
    a.add_argument("--db", required=True)
    a.add_argument("--compiled", required=True)
    a.add_argument("--method", choices=("sql_compiled", "sql", "pandas", "rolling"))
    a.add_argument("--slice", type=int, default=0)
    a.add_argument("--work", required=True)
    a.add_argument("--min-days", type=int, default=3)
    a.add_argument("--window-days", type=int, default=7)
    args = parser.parse_args(argv)
    if args.step == "_holdback":
        out = args.out
        report = hold_back(out / "generated", out / "landing", out / "held_back")
        print(json.dumps(report, indent=2))
        return 0
    return adoption_child(args)


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
