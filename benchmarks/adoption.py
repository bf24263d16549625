"""The adoption rule in pandas, two ways, against the project's SQL model as dbt builds it.

The rule: an account adopts on the first day on which it has been active on at least
``min_days`` distinct days within ``window_days`` consecutive days, counting only days on
or after its signup (vars adoption_min_days and adoption_window_days). The project
computes it in ``int_accounts_adoption_computed``; the benchmark times that model with
``dbt run --select int_accounts_adoption_computed`` (the node's ``execution_time`` in
dbt's run_results.json) and computes the same rule in pandas from the same inputs, read
from the built tables:

- the account days: ``int_user_days_aggregated`` (user_type 'account');
- each account's signup day: ``signup_date`` of ``int_accounts_adoption_computed`` itself,
  a published column of the model, so that no SQL of the model is repeated or rewritten.

Vectorised pandas (sort, shift within user, compare) runs on every account; the per-user
``rolling('7D')`` way most published solutions use runs on a slice of accounts, with
vectorised pandas repeated on that slice. Each result is compared, account by account,
with the model's ``adopted_on``.

As a command (one computation, run as a child process so that its memory is its own):
``python -m benchmarks.adoption --db FILE --manifest FILE --method pandas|rolling
--slice N --work DIR --min-days 3 --window-days 7``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from benchmarks.landing import sql_text

ADOPTION_MODEL = "int_accounts_adoption_computed"
DAYS_MODEL = "int_user_days_aggregated"
# Repeats of each timed computation on the slice (the median counts).
SLICE_REPEATS = 3
METHODS = {
    "pandas": "vectorised pandas (sort, shift, compare)",
    "rolling": "per-user rolling('7D') pandas",
}


def relation_name(manifest: Path, model: str) -> str:
    """Where dbt built a model (``"db"."schema"."table"``), from its manifest.json."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    node = nodes.get(f"model.uptake.{model}")
    if node is None or not node.get("relation_name"):
        raise ValueError(f"{manifest}: no built relation for model {model}")
    return node["relation_name"]


def _rss_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 3)


# ----------------------------------------------------------------------------- the rule


def _counted_days(days: pd.DataFrame, users: pd.DataFrame) -> pd.DataFrame:
    """Account days on or after signup, sorted by user and day (the rule's input)."""
    d = days.merge(users[["user_id", "signup_date"]], on="user_id", how="inner")
    d = d[d["activity_date"] >= d["signup_date"]]
    return d.sort_values(["user_id", "activity_date"], kind="stable")


def adoption_vectorised(days: pd.DataFrame, users: pd.DataFrame, min_days: int, window: int):
    """Sort, shift by ``min_days - 1`` within user, compare, first per user. Returns the
    adopted accounts (user_id, adopted_on) and the number of days counted."""
    d = _counted_days(days, users)
    nth = d.groupby("user_id", sort=False)["activity_date"].shift(-(min_days - 1))
    ok = (nth - d["activity_date"]) < pd.Timedelta(days=window)
    hits = pd.DataFrame({"user_id": d["user_id"][ok], "adopted_on": nth[ok]})
    return hits.drop_duplicates("user_id", keep="first"), len(d)


def adoption_rolling(days: pd.DataFrame, users: pd.DataFrame, min_days: int, window: int):
    """Per user: a date-indexed series, ``.rolling('7D').count()``, first day with at
    least ``min_days``. Returns as :func:`adoption_vectorised`."""
    d = _counted_days(days, users)

    def first_day(dates: pd.Series):
        counts = pd.Series(1.0, index=pd.DatetimeIndex(dates.to_numpy())).rolling(f"{window}D")
        counts = counts.count()
        hit = counts.index[counts.to_numpy() >= min_days]
        return hit[0] if len(hit) else pd.NaT

    first = d.groupby("user_id")["activity_date"].apply(first_day).dropna()
    return pd.DataFrame({"user_id": first.index, "adopted_on": first.to_numpy()}), len(d)


COMPUTE = {"pandas": adoption_vectorised, "rolling": adoption_rolling}


# ----------------------------------------------------------------------------- inputs


def load_inputs(conn, manifest: Path, accounts: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The account days and signup days from the built tables (every account, or the
    first ``accounts`` accounts with a day in a fixed hashed order)."""
    days_relation = relation_name(manifest, DAYS_MODEL)
    users_relation = relation_name(manifest, ADOPTION_MODEL)
    conn.execute(
        f"""create temp table bench_days as
        select cast(user_id as bigint) as user_id, activity_date
        from {days_relation} where user_type = 'account'"""
    )
    where = ""
    if accounts:
        conn.execute(
            f"""create temp table bench_accounts as
            select user_id from (select distinct user_id from bench_days)
            order by hash(user_id), user_id limit {int(accounts)}"""
        )
        where = "where user_id in (select user_id from bench_accounts)"
    users = conn.execute(f"select user_id, signup_date from {users_relation} {where}").df()
    days = conn.execute(f"select user_id, activity_date from bench_days {where}").df()
    for frame, column in ((users, "signup_date"), (days, "activity_date")):
        frame[column] = pd.to_datetime(frame[column])
    return days, users


def model_result(conn, manifest: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The adopted accounts of the built model, all its accounts, and its counts
    (accounts, days counted by the rule: active_days is an account's days on or after
    signup, adopted)."""
    relation = relation_name(manifest, ADOPTION_MODEL)
    result = conn.execute(
        f"select user_id, adopted_on from {relation} where adopted_on is not null"
    ).df()
    accounts, counted, adopted = conn.execute(
        f"select count(*), sum(active_days), count(adopted_on) from {relation}"
    ).fetchone()
    universe = conn.execute(f"select user_id from {relation}").df()
    counts = {"users": accounts, "input_account_days": int(counted or 0), "adopted": adopted}
    return result, universe, counts


def write_model_result(db: Path, manifest: Path, work: Path) -> dict:
    """The model's adopted accounts and universe as parquet (sql.parquet,
    sql_universe.parquet) for :func:`compare_results`; returns its counts."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as conn:
        result, universe, counts = model_result(conn, manifest)
    result.to_parquet(work / "sql.parquet", index=False)
    universe.to_parquet(work / "sql_universe.parquet", index=False)
    return counts


# ----------------------------------------------------------------------------- one computation


def run_computation(args: argparse.Namespace) -> dict:
    """Load the inputs, run one pandas way (``SLICE_REPEATS`` times on a slice), write its
    result and universe to ``<work>/<name>.parquet`` and its timings to ``<name>.json``."""
    import duckdb

    work = Path(args.work)
    name = f"{args.method}_{'slice' if args.slice else 'full'}"
    timings: dict = {"method": args.method, "scope": "slice" if args.slice else "full"}
    started = time.perf_counter()
    with duckdb.connect(str(args.db), read_only=True) as conn:
        days, users = load_inputs(conn, Path(args.manifest), args.slice)
    timings["load_s"] = round(time.perf_counter() - started, 3)
    timings["rss_after_load_gb"] = _rss_gb()
    seconds = []
    for _ in range(SLICE_REPEATS if args.slice else 1):
        t0 = time.perf_counter()
        result, counted = COMPUTE[args.method](days, users, args.min_days, args.window_days)
        seconds.append(time.perf_counter() - t0)
    universe = users[["user_id"]].drop_duplicates()
    timings |= {
        "compute_s": round(statistics.median(seconds), 4),
        "compute_runs_s": [round(s, 4) for s in seconds],
        "input_account_days": counted,
        "users": len(universe),
        "adopted": len(result),
        "peak_rss_in_process_gb": _rss_gb(),
    }
    result.reset_index(drop=True).to_parquet(work / f"{name}.parquet", index=False)
    universe.to_parquet(work / f"{name}_universe.parquet", index=False)
    (work / f"{name}.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    return timings


# ----------------------------------------------------------------------------- agreement


def compare_results(work: Path, names: list[str], reference: str) -> list[dict]:
    """Accounts (of both universes) whose adopted_on differs between two results: every
    result against ``reference``, and the rolling slice against the pandas slice."""
    import duckdb

    def rel(name: str) -> str:
        return sql_text(str(work / f"{name}.parquet"))

    def uni(name: str) -> str:
        return sql_text(str(work / f"{name}_universe.parquet"))

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.adoption", description=__doc__)
    parser.add_argument("--db", required=True, help="the built DuckDB file")
    parser.add_argument("--manifest", required=True, help="dbt's manifest.json of that build")
    parser.add_argument("--method", choices=sorted(COMPUTE), required=True)
    parser.add_argument("--slice", type=int, default=0, help="accounts (0: every account)")
    parser.add_argument("--work", required=True, help="folder for the result and timings")
    parser.add_argument("--min-days", type=int, required=True, help="var adoption_min_days")
    parser.add_argument("--window-days", type=int, required=True, help="var adoption_window_days")
    run_computation(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
