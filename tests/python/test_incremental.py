"""Incremental builds: landing generated data in slices, with late events, gives the same
facts as one full refresh of the same files, row for row.

The generator's Parquet output is cut by event date into four slices per landing folder
(new files named so that they sort after the earlier ones; share/view increments are
named CODE__sliceN). Rows dated in the last two days of a slice are held back to the
next slice (they arrive late, within var late_arrival_lookback_days = 3). Each slice is
landed and built incrementally; then a separate database is built once with
--full-refresh from all the files, and every incremental model and what is built on
them must hold exactly the same rows (EXCEPT ALL both ways).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import query, run_dbt

SLICES = 4
LATE_DAYS = 2

# Models compared between the incremental and the full-refresh databases.
COMPARED = {
    "staging": [
        "base_product__logins",
        "base_product__page_events",
        "base_share_view__activities",
        "stg_product__logins",
        "stg_product__page_events",
        "stg_share_view__activities",
    ],
    "intermediate": [
        "int_user_days_aggregated",
        "int_user_window_spans_computed",
        "int_user_weeks_aggregated",
        "int_share_view_pairs_matched",
        "int_share_view_activities_enriched",
        "int_views_linked",
        "int_shares_linked",
        "int_share_view_features",
        "int_aha_action_milestones_dated",
        "int_aha_thresholds_tabulated",
        "int_user_cohorts_assigned",
        "int_user_active_periods_numbered",
        "int_retention_cohorts_counted",
    ],
    "marts": [
        "fct_user_days",
        "fct_user_day_windows",
        "fct_user_weeks",
        "rpt_daily_active_users",
        "rpt_weekly_active_days",
        "rpt_lifecycle_transitions",
        "fct_adoption",
        "fct_shares",
        "fct_views",
        "dim_clients",
        "dim_relationship_managers",
        "rpt_customer_engagement",
        "rpt_customer_monthly_engagement",
        "rpt_share_latency_by_customer",
        "rpt_aha_moments",
        "rpt_aha_validation",
        "rpt_retention_cohorts",
        "rpt_retention_segments",
    ],
}
SELECTION = ["+" + name for name in COMPARED["marts"]]
SELECTION += ["+int_share_view_features"]  # read by the share/view fits only
# Seeds and models only: the data tests run in the suite's other builds.
BUILD = ["build", "--resource-type", "seed", "--resource-type", "model", "--select", *SELECTION]


def _event_dates(folder: str, table: pd.DataFrame) -> pd.Series:
    """The day each record is about (NaT when it does not parse: first slice)."""

    def column(name: str) -> pd.Series:
        for candidate in table.columns:
            if candidate.strip().lower() == name:
                return table[candidate]
        return pd.Series([None] * len(table), index=table.index)

    def parse(values: pd.Series) -> pd.Series:
        return pd.to_datetime(values, errors="coerce", format="mixed").dt.normalize()

    if folder == "logins":
        return parse(column("time_stamp"))
    if folder == "page_events":
        return parse(column("ts"))
    if folder == "users":
        return parse(column("creation_time"))
    # share_view: a SHARE record is exported when sent (by Shared Date), a VIEW when it
    # happens, so that views of shares landed earlier arrive in later slices.
    viewed = parse(column("last activity date"))
    shared = parse(column("shared date"))
    is_share = column("activity type").astype("string").str.strip().str.upper() == "SHARE"
    return shared.where(is_share & shared.notna(), viewed.fillna(shared))


def _slice_number(dates: pd.Series, cuts: list[pd.Timestamp], rng) -> np.ndarray:
    """Slice of each row: by date between the cuts; a random half of the rows of the
    last LATE_DAYS days before a cut arrive with the next slice instead."""
    number = np.zeros(len(dates), dtype=int)
    for cut in cuts:
        number += (dates > cut).to_numpy()
        late = ((dates <= cut) & (dates > cut - pd.Timedelta(days=LATE_DAYS))).to_numpy() & (
            rng.random(len(dates)) < 0.5
        )
        number[late] = np.maximum(number[late], cuts.index(cut) + 1)
    return number


def _write_slices(generated: Path, landing: Path) -> int:
    """Cut every generated file into SLICES files under landing/slices/<n>/, at the same
    dates for every file of a folder (a user type's data advances together); return the
    number of rows held back as late events."""
    rng = np.random.default_rng(11)
    late_rows = 0
    for folder in sorted(p.name for p in generated.iterdir() if p.is_dir()):
        paths = sorted((generated / folder).glob("*.parquet"))
        tables = {path: pq.read_table(path) for path in paths}
        dates = {path: _event_dates(folder, table.to_pandas()) for path, table in tables.items()}
        known = pd.concat(list(dates.values())).dropna()
        cuts = [known.quantile(q).normalize() for q in np.linspace(0, 1, SLICES + 1)[1:-1]]
        for path, table in tables.items():
            numbers = _slice_number(dates[path], cuts, rng)
            natural = np.searchsorted(
                np.array(cuts, dtype="datetime64[ns]"),
                dates[path].fillna(known.min()).to_numpy(dtype="datetime64[ns]"),
                side="left",
            )
            late_rows += int((numbers > natural).sum())
            for n in range(SLICES):
                out = landing / "slices" / str(n) / folder
                out.mkdir(parents=True, exist_ok=True)
                stem = path.stem
                name = f"{stem}__slice{n}" if folder == "share_view" else f"slice{n}_{stem}"
                pq.write_table(table.filter(pa.array(numbers == n)), out / f"{name}.parquet")
    return late_rows


def _land(landing: Path, n: int) -> None:
    for path in sorted((landing / "slices" / str(n)).glob("*/*.parquet")):
        target = landing / "raw" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> dict:
    from uptake.generator import generate

    base = tmp_path_factory.mktemp("replay")
    generate(base / "generated", seed=3, scale=0.05, fmt="parquet")
    late_rows = _write_slices(base / "generated", base)
    raw_dir = base / "raw"

    incremental_db = base / "incremental" / "uptake.duckdb"
    incremental_db.parent.mkdir()
    outputs = []
    for n in range(SLICES):
        _land(base, n)
        result = run_dbt(BUILD, raw_dir, incremental_db)
        assert result.returncode == 0, result.stdout[-5000:]
        outputs.append(result.stdout)

    full_db = base / "full" / "uptake.duckdb"
    full_db.parent.mkdir()
    result = run_dbt([*BUILD, "--full-refresh"], raw_dir, full_db)
    assert result.returncode == 0, result.stdout[-5000:]
    return {"incremental": incremental_db, "full": full_db, "late_rows": late_rows, "logs": outputs}


def test_slices_really_are_incremental(replayed):
    # Late rows were held back, and every run after the first landed new files only and
    # appended them (the landing manifest holds each file once).
    assert replayed["late_rows"] > 50
    assert "0 file(s) landed before" in replayed["logs"][0]
    assert "0 file(s) landed before" not in replayed["logs"][-1]
    (files, distinct_files) = query(
        replayed["incremental"],
        "select count(*), count(distinct file_path) from raw._landed_files",
    )[0]
    assert files == distinct_files == 4 * (1 + 1 + 1 + 6)


SHARE_VIEW_INCREMENTAL = [
    "int_share_view_pairs_matched",
    "int_share_view_activities_enriched",
    "int_views_linked",
    "int_shares_linked",
    "int_share_view_features",
]


def test_share_view_slices_really_are_incremental(replayed):
    # The last slice's run took the incremental branch of each share/view model (its
    # compiled SQL restricts the run to the keys of new files), and the slices exercise
    # what that branch must get right: views of a later slice that link to a share of
    # an earlier slice's file (an old share whose links and first view change), a view
    # that a share of a later slice takes over (relinked), and RMs and titles whose
    # history runs over several files (running counts that continue from earlier runs).
    compiled = replayed["incremental"].parent / "dbt_target" / "compiled" / "uptake" / "models"
    for model in SHARE_VIEW_INCREMENTAL:
        sql = (compiled / "intermediate" / f"{model}.sql").read_text(encoding="utf-8")
        assert "changed_keys" in sql, model
    ((links_to_earlier_files, links_to_later_files),) = query(
        replayed["incremental"],
        "select count(*) filter (where split_part(share_id, ':', 1) < source_file), "
        "count(*) filter (where split_part(share_id, ':', 1) > source_file) "
        "from intermediate.int_share_view_pairs_matched",
    )
    assert links_to_earlier_files >= 10
    assert links_to_later_files >= 1
    ((rms_over_files,),) = query(
        replayed["incremental"],
        "select count(*) from (select customer_code, relationship_manager_id "
        "from intermediate.int_share_view_features group by 1, 2 "
        "having count(distinct split_part(share_id, ':', 1)) > 1)",
    )
    ((titles_over_files,),) = query(
        replayed["incremental"],
        "select count(*) from (select customer_code, content_title "
        "from intermediate.int_views_linked group by 1, 2 "
        "having count(distinct split_part(view_id, ':', 1)) > 1)",
    )
    assert rms_over_files >= 10
    assert titles_over_files >= 50


def test_aha_slices_keep_closed_windows_and_recompute_open_ones(replayed):
    # The last slice covers about the last quarter of each user type's days: its run
    # keeps the aha milestones of users whose first 14 days (aha_max_window_days) closed
    # before it, and recomputes those of users first active within it.
    rows = query(
        replayed["incremental"],
        "with spans as (select user_type, min(reached_date) as first_date, "
        "max(reached_date) as last_date "
        "from intermediate.int_aha_action_milestones_dated group by 1), "
        "users as (select user_key, user_type, min(reached_date) as first_active_date "
        "from intermediate.int_aha_action_milestones_dated group by 1, 2) "
        "select spans.user_type, "
        "count(distinct case when users.first_active_date + 14 + 3 "
        "< spans.last_date - cast((spans.last_date - spans.first_date) // 4 as integer) "
        "then users.user_key end), "
        "count(distinct case when users.first_active_date > spans.last_date - 14 "
        "then users.user_key end) "
        "from spans inner join users on spans.user_type = users.user_type group by 1",
    )
    assert {user_type for user_type, _, _ in rows} == {"account", "client", "web_user"}
    for user_type, kept, recomputed in rows:
        assert kept > 10 and recomputed > 0, (user_type, kept, recomputed)


def test_data_tests_pass_without_full_refresh(replayed):
    # The data tests of the incremental models as a daily job runs them, without
    # --full-refresh (the checks of the large user-day tables look at recent rows only),
    # in the project state a --full-refresh build parsed: a ref() that only the
    # incremental branch of a test takes must still be known to dbt.
    raw_dir = replayed["incremental"].parent.parent / "raw"
    models = [*COMPARED["intermediate"], "int_user_type_data_ends_computed", *COMPARED["marts"][:4]]
    tests = ["test", "--indirect-selection", "cautious", "--select", *models]
    result = run_dbt(tests, raw_dir, replayed["full"])
    assert result.returncode == 0, result.stdout[-5000:]
    assert "assert_day_windows_cover_every_user" in result.stdout
    assert "non_overlapping_spans_int_user_window_spans_computed" in result.stdout
    assert "unique_combination_int_user_window_spans_computed" in result.stdout


@pytest.mark.parametrize(
    "schema,model", [(schema, model) for schema, models in COMPARED.items() for model in models]
)
def test_incremental_equals_full_refresh(replayed, schema, model):
    with duckdb.connect() as conn:
        conn.execute(f"attach '{replayed['incremental']}' as inc (read_only)")
        conn.execute(f"attach '{replayed['full']}' as ful (read_only)")
        rows = conn.execute(f"select count(*) from ful.{schema}.{model}").fetchone()[0]
        only_inc = conn.execute(
            f"select count(*) from (select * from inc.{schema}.{model} "
            f"except all select * from ful.{schema}.{model})"
        ).fetchone()[0]
        only_full = conn.execute(
            f"select count(*) from (select * from ful.{schema}.{model} "
            f"except all select * from inc.{schema}.{model})"
        ).fetchone()[0]
    assert rows > 0
    assert (only_inc, only_full) == (0, 0), (
        f"{model}: {only_inc} rows only incremental, {only_full} only full"
    )


def test_late_events_beyond_the_lookback_are_reported(replayed, tmp_path):
    # An event landing far later than the look-back cannot be applied incrementally: the
    # warn-level test user_days_match_events says so (and a full refresh applies it).
    raw_dir = replayed["incremental"].parent.parent / "raw"
    logins = pq.read_table(next((raw_dir / "logins").glob("slice0_*.parquet"))).to_pandas()
    old = logins[logins["time_stamp"].str.len() > 10].head(5).copy()
    old["time_stamp"] = old["time_stamp"].str.slice(0, 10) + " 23:59:58"
    pq.write_table(
        pa.Table.from_pandas(old, preserve_index=False),
        raw_dir / "logins" / "slice9_very_late.parquet",
    )
    db = replayed["incremental"]
    for refresh in ([], ["--full-refresh"]):
        result = run_dbt([*BUILD, *refresh], raw_dir, db)
        assert result.returncode == 0, result.stdout[-5000:]
        checked = run_dbt(["test", "--select", "user_days_match_events"], raw_dir, db)
        assert checked.returncode == 0, checked.stdout[-5000:]
        assert ("WARN=0" if refresh else "WARN=1") in checked.stdout, checked.stdout[-3000:]


def _fit_state(db: Path) -> tuple:
    return query(
        db,
        "select max(fitted_data_end), string_agg(md5(artifact::varchar), ',' order by model_name)"
        " from ml.ml_return_fit",
    )[0]


def test_classifiers_are_refit_on_their_cadence_only(tmp_path):
    # One more day keeps the stored fit while var ml_refit_after_days has not passed
    # (the scores are still recomputed with it); with the var at 0 the next build refits.
    from uptake.generator import generate

    raw_dir = tmp_path / "landing"
    generate(raw_dir, seed=5, scale=0.05, fmt="parquet")
    db = tmp_path / "db" / "uptake.duckdb"
    db.parent.mkdir()
    build = ["build", "--resource-type", "seed", "--resource-type", "model"]
    build += ["--select", "+ml_return_scores"]
    result = run_dbt(build, raw_dir, db)
    assert result.returncode == 0, result.stdout[-5000:]
    first_end, first_fit = _fit_state(db)

    with duckdb.connect() as conn:
        conn.execute(
            "copy (select * replace (strftime(cast(ts as timestamp) + interval 1 day, "
            "'%Y-%m-%d %H:%M:%S') as ts) "
            f"from read_parquet('{raw_dir}/page_events/*.parquet') "
            f"where cast(ts as timestamp) >= timestamp '{first_end}') "
            f"to '{raw_dir}/page_events/zz_next_day.parquet' (format parquet)"
        )
    for refit_after_days in (7, 0):
        result = run_dbt(build, raw_dir, db, {"ml_refit_after_days": refit_after_days})
        assert result.returncode == 0, result.stdout[-5000:]
        end, fit = _fit_state(db)
        if refit_after_days:
            assert (end, fit) == (first_end, first_fit)
        else:
            # Computed again, on the data with the new day (fitted_data_end is set only
            # when the fit is computed). The pickled models may come out byte for byte the
            # same: the new day labels no new training row once training labels stop an
            # embargo before the test period and open horizons stay unlabelled.
            assert end == first_end + pd.Timedelta(days=1)
        assert query(db, "select count(*) from marts.ml_return_scores")[0][0] > 0
