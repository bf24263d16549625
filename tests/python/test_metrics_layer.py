"""The metrics layer (models/marts/metrics/): `mf query`, as the README tells an analyst to
run it, on the published copy of the generated sample's build (the read-only `published`
dbt target), against the same figures computed here in pandas from the mart tables; and
every saved query, run by MetricFlow's engine, returns rows with its metrics.

MetricFlow reads the semantic manifest at <project>/target/semantic_manifest.json; the
sample build wrote its own (naming its DuckDB file's catalog) beside its file, so the
queries run from a small project folder that holds dbt_project.yml and that manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_DIR, reuse_rm_ids_across_customers

from uptake import serving

TYPES = ("account", "web_user", "client")


@pytest.fixture(scope="module")
def published(sample_db, tmp_path_factory) -> dict:
    """The sample build published to a file of its own, and a project folder for mf."""
    root = tmp_path_factory.mktemp("metrics_layer")
    out = root / "published.duckdb"
    serving.publish(sample_db, out)
    # Two customers' exports use the same RM IDs, as real ones may: a sharing user is an
    # RM of a customer.
    assert reuse_rm_ids_across_customers(out) >= 2
    project = root / "project"
    (project / "target").mkdir(parents=True)
    (project / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")
    manifest = sample_db.parent / "dbt_target" / "semantic_manifest.json"
    shutil.copy(manifest, project / "target" / "semantic_manifest.json")
    return {"build": sample_db, "published": out, "project": project, "root": root}


def mf_query(published: dict, name: str, *args: str) -> pd.DataFrame:
    """`mf query ARGS --csv FILE` on the published file; the CSV as a frame."""
    out = published["root"] / f"{name}.csv"
    env = {
        **os.environ,
        "UPTAKE_TARGET": "published",
        # The build file names the catalog the manifest's relations live in ...
        "UPTAKE_DB_PATH": str(published["build"]),
        # ... and the published copy is attached read-only under that name.
        "UPTAKE_PUBLISHED_PATH": str(published["published"]),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(published["project"]),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    mf = Path(sys.executable).with_name("mf")
    result = subprocess.run(
        [str(mf), "query", *args, "--csv", str(out)],
        cwd=published["project"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and out.is_file(), result.stdout[-3000:] + result.stderr[-3000:]
    return pd.read_csv(out)


def mf_by_month(published: dict, name: str, metrics: str) -> pd.DataFrame:
    """`mf query` of the metrics (comma-separated) by month of their own day, indexed by
    the month's first day."""
    result = mf_query(published, name, "--metrics", metrics, "--group-by", "metric_time__month")
    result["month"] = pd.to_datetime(result["metric_time__month"]).dt.normalize()
    return result.set_index("month").sort_index()


def marts(published: dict, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(published["published"]), read_only=True) as conn:
        return conn.execute(sql).df()


def day(value) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def trailing_active_users(user_days: pd.DataFrame, window: int, last_day) -> pd.Series:
    """Users active in the `window` days ending on each day, per user type and day, for
    every day up to last_day on which there is at least one. Each active day a covers
    a..a+window-1, cut short before the user's next active day so that a user counts
    once a day; the covered days are counted by +1 on a span's first day and -1 after its
    last, added up day by day."""
    frame = user_days.sort_values(["user_key", "activity_date"])
    following = frame.groupby("user_key")["activity_date"].shift(-1)
    until = frame["activity_date"] + pd.Timedelta(days=window - 1)
    until = until.where(following.isna() | (until < following), following - pd.Timedelta(days=1))
    until = until.clip(upper=last_day)
    changes = pd.concat(
        [
            pd.DataFrame({"user_type": frame["user_type"], "day": frame["activity_date"], "n": 1}),
            pd.DataFrame(
                {"user_type": frame["user_type"], "day": until + pd.Timedelta(days=1), "n": -1}
            ),
        ]
    )
    counts = []
    for user_type, per_type in changes.groupby("user_type"):
        net = per_type.groupby("day")["n"].sum()
        days = pd.date_range(net.index.min(), last_day, freq="D")
        running = net.reindex(days, fill_value=0).cumsum()
        running = running[running > 0]
        running.index = pd.MultiIndex.from_product([[user_type], running.index])
        counts.append(running)
    return pd.concat(counts).astype("int64")


def test_active_users_match_the_user_days(published):
    result = mf_query(
        published, "active", "--metrics", "dau,wau,mau,stickiness",
        "--group-by", "metric_time__day,user__user_type",
    )  # fmt: skip
    result["day"] = pd.to_datetime(result["metric_time__day"]).dt.normalize()
    got = result.set_index(["user__user_type", "day"]).sort_index()

    user_days = marts(
        published, "select user_key, user_type, activity_date from marts.fct_user_days"
    )
    user_days["activity_date"] = pd.to_datetime(user_days["activity_date"])
    last_day = day(marts(published, "select max(calendar_date) as d from marts.dim_dates").d[0])
    assert last_day == user_days["activity_date"].max()  # the spine ends with the data
    assert set(user_days["user_type"]) == set(TYPES)

    mau = trailing_active_users(user_days, 28, last_day)
    wau = trailing_active_users(user_days, 7, last_day)
    dau = user_days.groupby(["user_type", "activity_date"])["user_key"].nunique()
    # A row for every day some user is within 28 days of an active day, up to the end.
    assert set(got.index) == set(mau.index)
    expected = pd.DataFrame({"mau": mau})
    expected["wau"] = wau.reindex(expected.index).fillna(0).astype("int64")
    expected["dau"] = dau.reindex(expected.index).fillna(0).astype("int64")
    expected = expected.sort_index()
    # Beside MAU, WAU is empty (null) on a day whose 7 days hold no activity, and only then.
    assert got["wau"].isna().equals(expected["wau"].eq(0))
    assert got["mau"].notna().all() and got["dau"].notna().all()
    for metric in ("dau", "wau", "mau"):
        differing = got[metric].fillna(0).astype("int64").ne(expected[metric])
        assert not differing.any(), (metric, got[differing].head(), expected[differing].head())
    stickiness = expected["dau"] / expected["mau"]
    assert (got["stickiness"] - stickiness).abs().max() < 1e-12


def test_adoption_by_signup_month_matches_the_accounts(published):
    got = mf_by_month(
        published, "adoption", "signups,adoption_rate,median_days_to_adopt,mean_days_to_adopt"
    )

    accounts = marts(
        published,
        "select signup_date, is_adopted, days_from_signup_to_adoption from marts.fct_adoption",
    )
    accounts["month"] = pd.to_datetime(accounts["signup_date"]).dt.to_period("M").dt.start_time
    adopted = accounts[accounts["is_adopted"]]
    by_month = accounts.groupby("month")
    assert list(got.index) == sorted(by_month.groups)
    assert got["signups"].tolist() == by_month.size().tolist()
    assert (got["adoption_rate"] - by_month["is_adopted"].mean()).abs().max() < 1e-12
    days = adopted.groupby("month")["days_from_signup_to_adoption"]
    for name, per_month in [
        ("median_days_to_adopt", days.median()),
        ("mean_days_to_adopt", days.mean()),
    ]:
        expected = per_month.reindex(got.index)
        assert got[name].isna().equals(expected.isna()), name
        assert (got[name] - expected).abs().max() < 1e-9, name
    assert 0 < accounts["is_adopted"].mean() < 1  # the sample has both kinds


def test_week_n_retention_pools_observable_users(published):
    result = mf_query(
        published, "retention", "--metrics", "week_n_retention,week_4_retention",
        "--group-by", "retention_cell__user_type,retention_cell__period_number",
    )  # fmt: skip
    got = result.set_index(["retention_cell__user_type", "retention_cell__period_number"])

    cells = marts(
        published,
        """
        select user_type, period_number, retained_users, observable_users
        from marts.rpt_retention_cohorts
        where cohort_grain = 'week' and period_unit = 'week'
        """,
    )
    sums = cells.groupby(["user_type", "period_number"])[["retained_users", "observable_users"]]
    totals = sums.sum()
    expected = totals["retained_users"] / totals["observable_users"].where(
        totals["observable_users"] > 0
    )
    assert set(got.index) == set(expected.index)
    expected = expected.reindex(got.index)
    # Null where no user of any cohort is observable yet, never 0.
    assert got["week_n_retention"].isna().equals(expected.isna())
    assert (got["week_n_retention"] - expected).abs().max() < 1e-12
    assert expected.notna().sum() > 10
    # week_4_retention is week N at N = 4, and has no value at any other N.
    week_4 = got.xs(4, level="retention_cell__period_number")
    assert (week_4["week_4_retention"] - week_4["week_n_retention"]).abs().max() < 1e-12
    assert got.drop(index=4, level=1)["week_4_retention"].isna().all()


def holding_the_write_lock(path: Path) -> subprocess.Popen:
    """Another process with the DuckDB file open read-write, as a running build holds it;
    it lets go when its standard input closes."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; conn = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
            " sys.stdin.read(); conn.close()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


# The saved query's metrics and the rpt_customer_engagement columns of the same figures.
ENGAGEMENT = {
    "shares": "shares",
    "exact_duplicate_shares": "exact_duplicate_shares",
    "sharing_users": "sharing_users",
    "share_recipients": "share_recipients",
    "shares_per_sharing_user": "shares_per_sharing_user",
    "view_through_rate": "share_view_through_rate",
    "views": "views",
    "exact_duplicate_views": "exact_duplicate_views",
    "viewing_clients": "viewing_clients",
}


def test_sharing_by_customer_is_the_engagement_mart(published):
    # The published target reads the published copy alone: a build holding the build
    # file's write lock does not stop a query.
    holder = holding_the_write_lock(published["build"])
    try:
        got = mf_query(published, "sharing", "--saved-query", "sharing_by_customer")
    finally:
        holder.communicate("", timeout=60)
    got = got.set_index("customer__customer_code").sort_index()

    # What a BI tool reads for the same cut: one row per customer.
    mart = marts(
        published,
        f"""
        select engagement.customer_code, engagement.industry,
            {", ".join(f"engagement.{column}" for column in ENGAGEMENT.values())},
            latency.median_minutes_to_first_view
        from marts.rpt_customer_engagement as engagement
        left join marts.rpt_share_latency_by_customer as latency
            on engagement.customer_code = latency.customer_code
        """,
    ).set_index("customer_code")
    expected = mart.rename(columns={column: m for m, column in ENGAGEMENT.items()}).sort_index()
    assert list(got.index) == list(expected.index)
    assert len(got) >= 3
    assert got["customer__industry"].tolist() == expected["industry"].tolist()
    for column in [*ENGAGEMENT, "median_minutes_to_first_view"]:
        assert got[column].isna().equals(expected[column].isna()), column
        assert (got[column] - expected[column]).abs().max() < 1e-9, column


def test_sharing_by_customer_and_month_is_the_monthly_engagement_mart(published):
    # rpt_customer_monthly_engagement counts a share in the month it was sent, as the
    # metrics layer dates it (metric_time is the share day).
    metrics = ["shares", "exact_duplicate_shares", "sharing_users", "share_recipients"]
    metrics += ["shares_per_sharing_user", "view_through_rate"]
    got = mf_query(
        published, "monthly", "--metrics", ",".join(metrics),
        "--group-by", "customer__customer_code,metric_time__month",
    )  # fmt: skip
    got["month"] = pd.to_datetime(got["metric_time__month"]).dt.normalize()
    got = got.set_index(["customer__customer_code", "month"]).sort_index()

    mart = marts(
        published,
        f"""
        select customer_code, activity_month,
            {", ".join(ENGAGEMENT.get(metric, metric) for metric in metrics)}
        from marts.rpt_customer_monthly_engagement
        where shares + exact_duplicate_shares > 0
        """,
    )
    mart["month"] = pd.to_datetime(mart["activity_month"]).dt.normalize()
    expected = mart.set_index(["customer_code", "month"]).sort_index()
    expected = expected.rename(columns={column: m for m, column in ENGAGEMENT.items()})
    assert list(got.index) == list(expected.index)
    assert len(got) >= 6 * 12
    expected.index = got.index
    for column in metrics:
        assert got[column].isna().equals(expected[column].isna()), column
        assert (got[column] - expected[column]).abs().max() < 1e-9, column


def test_sharing_users_across_customers_are_rms_of_a_customer(published):
    got = mf_by_month(
        published, "senders", "shares,sharing_users,share_recipients,shares_per_sharing_user"
    )

    shares = marts(
        published,
        """
        select customer_code, relationship_manager_id, client_id, shared_date
        from marts.fct_shares
        where not is_exact_duplicate and shared_date is not null
        """,
    )
    shares["month"] = pd.to_datetime(shares["shared_date"]).dt.to_period("M").dt.start_time
    # An RM ID is unique only within its customer's export, a client's too.
    shares["sender"] = shares["customer_code"] + ":" + shares["relationship_manager_id"]
    shares["recipient"] = shares["customer_code"] + ":" + shares["client_id"]
    by_month = shares.groupby("month")
    expected = pd.DataFrame(
        {
            "shares": by_month.size(),
            "sharing_users": by_month["sender"].nunique(),
            "share_recipients": by_month["recipient"].nunique(),
        }
    )
    expected["shares_per_sharing_user"] = expected["shares"] / expected["sharing_users"]
    assert list(got.index) == list(expected.index)
    for column in expected:
        assert (got[column] - expected[column]).abs().max() < 1e-9, column
    # The same RM IDs in two customers' shares of a month: the customer key counts.
    assert (by_month["relationship_manager_id"].nunique() < expected["sharing_users"]).any()


# Runs every saved query of the semantic manifest in one MetricFlow process (the engine
# behind `mf query`) and prints each one's columns and row count as JSON.
EVERY_SAVED_QUERY = """
import json, sys
from pathlib import Path
from dbt_metricflow.cli.cli_configuration import CLIConfiguration
from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

config = CLIConfiguration()
config.setup(Path(sys.argv[1]), Path(sys.argv[2]), configure_file_logging=False)
shapes = {}
for saved_query in config.semantic_manifest.saved_queries:
    request = MetricFlowQueryRequest.create(saved_query_name=saved_query.name)
    table = config.mf.query(request).result_df
    shapes[saved_query.name] = {"columns": list(table.column_names), "rows": table.row_count}
print("SHAPES " + json.dumps(shapes))
"""


def test_every_saved_query_runs_with_its_metrics(published):
    env = {
        **os.environ,
        "UPTAKE_TARGET": "published",
        "UPTAKE_DB_PATH": str(published["build"]),
        "UPTAKE_PUBLISHED_PATH": str(published["published"]),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    result = subprocess.run(
        [sys.executable, "-c", EVERY_SAVED_QUERY, str(PROJECT_DIR), str(published["project"])],
        cwd=published["project"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("SHAPES ")]
    assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-3000:]
    shapes = json.loads(lines[-1].removeprefix("SHAPES "))

    manifest = json.loads((published["project"] / "target" / "semantic_manifest.json").read_text())
    saved_queries = {query["name"]: query["query_params"] for query in manifest["saved_queries"]}
    assert set(shapes) == set(saved_queries) and len(shapes) >= 6
    for name, params in saved_queries.items():
        assert shapes[name]["rows"] > 0, name
        assert set(params["metrics"]) <= set(shapes[name]["columns"]), name
