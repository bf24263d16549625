"""uptake.results against a small hand-made warehouse whose figures the test counts itself."""

from __future__ import annotations

from pathlib import Path
from statistics import median

import duckdb
import pytest

from uptake.cli import main
from uptake.results import render

ADOPTION = [  # user_id, is_adopted, days_from_signup_to_adoption
    (1, True, 2),
    (2, True, 6),
    (3, False, None),
    (4, False, None),
    (5, True, 3),
]
# user_type, cohort_grain, cohort_start_date, period_unit, period_number,
# cohort_users, observable_users, retained_users
RETENTION = [
    ("account", "week", "2024-01-01", "day", 7, 10, 10, 4),
    ("account", "week", "2024-01-08", "day", 7, 5, 0, 0),  # nobody seen that far yet
    ("account", "week", "2024-01-15", "day", 7, 7, 7, 1),
    ("account", "week", "2024-01-01", "day", 6, 10, 10, 9),  # another day: not counted
    ("account", "week", "2024-01-01", "week", 4, 10, 10, 3),
    ("account", "week", "2024-01-15", "week", 4, 7, 0, 0),
    ("account", "month", "2024-01-01", "day", 7, 22, 17, 17),  # monthly cohorts: not counted
    ("web_user", "week", "2024-01-01", "day", 7, 3, 0, 0),
]
AHA = [  # user_type, action, threshold, window_days, users, phi, phi_low, phi_high, rank
    ("account", "login", 3, 7, 400, 0.64, 0.62, 0.66, 1),
    ("account", "login", 4, 8, 400, 0.61, 0.59, 0.63, 2),
    ("web_user", "page:reports", 1, 8, 300, 0.334, 0.307, 0.366, 1),
]
VALIDATION = [  # user_type, action, threshold, window_days, holds_up
    ("account", "login", 3, 7, True),
    ("client", "receive_share", 2, 8, False),
]
BEHAVIOUR = [  # customer_code, dimension, top_category, effect_size, p_value, is_different
    ("EU", "weekday", "Thursday", 0.178, 6.0e-119, True),
    ("EU", "month", "March", 0.03, 0.2, False),
    ("NB", "weekday", "Monday", 0.05, 1.0e-5, False),
]
LANDING = [  # source_name, source_file, raw, staged, rejected, exact duplicates
    ("product", "users/users.csv", 100, 97, 3, 2),
    ("share_view", "share_view/EU.csv", 50, 50, 0, 5),
]
METRIC_COLUMNS = (
    "model_name varchar, status varchar, test_rows bigint, "
    "roc_auc double, roc_auc_low double, roc_auc_high double, "
    "baseline_roc_auc double, baseline_roc_auc_low double, baseline_roc_auc_high double, "
    "roc_auc_gain double, roc_auc_gain_low double, roc_auc_gain_high double"
)


def create(conn, name: str, columns: str, rows: list[tuple]) -> None:
    conn.execute(f"create table {name} ({columns})")
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        conn.executemany(f"insert into {name} values ({marks})", rows)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "hand_made.duckdb"
    with duckdb.connect(str(path)) as conn:
        for schema in ("raw", "marts"):
            conn.execute(f"create schema {schema}")
        create(conn, "raw.logins", "user_id bigint", [(1,), (2,), (3,)])
        create(
            conn,
            "marts.fct_adoption",
            "user_id bigint, is_adopted boolean, days_from_signup_to_adoption bigint",
            ADOPTION,
        )
        create(
            conn,
            "marts.rpt_retention_cohorts",
            "user_type varchar, cohort_grain varchar, cohort_start_date date, "
            "period_unit varchar, period_number bigint, cohort_users bigint, "
            "observable_users bigint, retained_users bigint",
            RETENTION,
        )
        create(
            conn,
            "marts.ml_adoption_metrics",
            f"cutoff_days bigint, {METRIC_COLUMNS}",
            [
                (7, "l1_logistic_regression", "fitted", 900, 0.81, 0.77, 0.85)
                + (0.7, 0.66, 0.74, 0.11, 0.07, 0.15),
                (0, "l1_logistic_regression", "fitted", 1000, 0.66, 0.64, 0.68)
                + (0.62, 0.6, 0.64, 0.04, 0.02, 0.05),
            ],
        )
        create(
            conn,
            "marts.ml_share_view_metrics",
            METRIC_COLUMNS,
            [("l1_logistic_regression", "not fitted: no rows to learn from", 0) + (None,) * 9],
        )
        create(
            conn,
            "marts.rpt_aha_moments",
            "user_type varchar, action varchar, threshold bigint, window_days bigint, "
            "users bigint, phi double, phi_low double, phi_high double, rank_in_user_type bigint",
            AHA,
        )
        create(
            conn,
            "marts.rpt_aha_validation",
            "user_type varchar, action varchar, threshold bigint, window_days bigint, "
            "holds_up boolean",
            VALIDATION,
        )
        create(
            conn,
            "marts.rpt_customer_behaviour_differences",
            "customer_code varchar, dimension varchar, top_category varchar, "
            "effect_size double, p_value double, is_different boolean",
            BEHAVIOUR,
        )
        create(
            conn,
            "marts.rpt_landing_files",
            "source_name varchar, source_file varchar, raw_rows bigint, staged_rows bigint, "
            "rejected_rows bigint, exact_duplicate_rows bigint",
            LANDING,
        )
    return path


def page(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return render(conn).splitlines()


def pooled(user_type: str, unit: str, number: int) -> str:
    cells = [
        (seen, kept)
        for kind, grain, _, period_unit, period, _, seen, kept in RETENTION
        if (kind, grain, period_unit, period) == (user_type, "week", unit, number)
    ]
    seen = sum(seen for seen, _ in cells)
    return f"{100 * sum(kept for _, kept in cells) / seen:.1f}%" if seen else "n/a"


def test_figures_are_those_of_the_tables(warehouse):
    lines = page(warehouse)

    adopted = [days for _, is_adopted, days in ADOPTION if is_adopted]
    rate = 100 * len(adopted) / len(ADOPTION)
    assert (
        f"{len(adopted)} of {len(ADOPTION)} accounts adopted ({rate:.1f}%); "
        f"median days from signup to adoption: {median(adopted):.1f}."
    ) in lines

    # Pooled over the users seen (5/17), not the mean of the cohorts' rates (27.1%).
    assert pooled("account", "day", 7) == "29.4%"
    assert f"| `account` | 29.4% | 17 | {pooled('account', 'week', 4)} | 10 |" in lines
    assert "| `web_user` | n/a | 0 | n/a | n/a |" in lines

    models = [line for line in lines if line.startswith("| adoption") or "share/view" in line]
    assert models == [
        "| adoption, day 0 | `l1_logistic_regression` | fitted | 1,000 | 0.660 [0.640, 0.680] "
        "| 0.620 [0.600, 0.640] | 0.040 [0.020, 0.050] |",
        "| adoption, day 7 | `l1_logistic_regression` | fitted | 900 | 0.810 [0.770, 0.850] "
        "| 0.700 [0.660, 0.740] | 0.110 [0.070, 0.150] |",
        "| share/view | `l1_logistic_regression` | not fitted: no rows to learn from | 0 "
        "| n/a | n/a | n/a |",
    ]
    assert "Not built: `marts.ml_return_metrics`." in lines

    aha = [line for line in lines if "times in the first" in line]
    assert aha == [
        "| `account` | login at least 3 times in the first 7 days | 400 "
        "| 0.64 [0.62, 0.66] | yes |",
        "| `web_user` | page:reports at least 1 times in the first 8 days | 300 "
        "| 0.33 [0.31, 0.37] | not validated |",
    ]

    flagged = [row for row in BEHAVIOUR if row[-1]]
    assert f"{len(flagged)} of {len(BEHAVIOUR)} customer x dimension tests flagged." in lines
    assert "| `EU` | weekday | Thursday | 0.18 | 6.0e-119 |" in lines
    assert not [line for line in lines if line.startswith("| `NB`")]

    raw, staged, rejected, duplicates = (sum(row[i] for row in LANDING) for i in range(2, 6))
    assert (
        f"Landing: {len(LANDING)} files, {raw} raw records: {staged} staged "
        f"({duplicates} of them exact duplicates), {rejected} rejected "
        "(reasons in `staging.stg_landing__rejected_rows`)."
    ) in lines
    assert "| `raw` | 1 | 3 |" in lines
    assert "| `staging` | 0 | 0 |" in lines

    for name in ("dim_users", "dim_accounts", "dim_customers", "ml_page_recommendation_metrics"):
        assert f"Not built: `marts.{name}`." in lines


def test_an_empty_warehouse_names_what_is_absent(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    text = "\n".join(page(path))
    for name in (
        "fct_adoption",
        "rpt_retention_cohorts",
        "ml_adoption_metrics",
        "ml_return_metrics",
        "ml_share_view_metrics",
        "rpt_aha_moments",
        "rpt_customer_behaviour_differences",
        "ml_page_recommendation_metrics",
    ):
        assert f"`marts.{name}`" in text
    assert "| `marts` | 0 | 0 |" in text


def test_the_command_writes_the_page(warehouse, tmp_path, capsys):
    out = tmp_path / "docs" / "results.md"
    assert main(["results", "--db", str(warehouse), "--out", str(out)]) == 0
    assert out.read_text().startswith("# Results\n")
    assert main(["results", "--db", str(tmp_path / "none.duckdb"), "--out", str(out)]) == 1
    assert "no DuckDB file" in capsys.readouterr().err
