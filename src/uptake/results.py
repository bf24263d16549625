"""The results page: the figures a build produced, read from its DuckDB file as Markdown.

`uptake results` writes it after a build (default `target/results.md`), so no figure is
pasted into the docs by hand. Each section reads the marts it names; a table the build did
not make (a build of a subset of the sources, or a `--select`) is named as absent, and the
rest of the page is still written.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEFAULT_OUT = "target/results.md"
LAYER_SCHEMAS = ("raw", "seeds", "staging", "intermediate", "marts", "ml")
METRICS_TABLES = (
    ("adoption", "ml_adoption_metrics"),
    ("return", "ml_return_metrics"),
    ("share/view", "ml_share_view_metrics"),
)

Rows = list[tuple[Any, ...]]


class Warehouse:
    """The tables of a built warehouse, and the query helpers the sections share."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.tables = {
            (schema, name)
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }

    def has(self, name: str, schema: str = "marts") -> bool:
        return (schema, name) in self.tables

    def query(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        return self.conn.execute(sql, list(params)).fetchall()

    def columns(self, name: str, schema: str = "marts") -> set[str]:
        rows = self.query(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        )
        return {column for (column,) in rows}


# Formatting: a value the build did not produce reads n/a, never 0.


def count(value: Any) -> str:
    return "n/a" if value is None else f"{int(value):,}"


def rate(value: Any) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def number(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def interval(value: Any, low: Any, high: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if low is None or high is None:
        return number(value, digits)
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def absent(names: Sequence[str]) -> list[str]:
    return [f"Not built: {', '.join(f'`marts.{name}`' for name in names)}."]


# Sections: each returns its Markdown lines under a heading.


def layers(wh: Warehouse) -> list[str]:
    rows = []
    for schema in LAYER_SCHEMAS:
        names = sorted(name for s, name in wh.tables if s == schema)
        total = sum(wh.query(f'select count(*) from "{schema}"."{name}"')[0][0] for name in names)
        rows.append((f"`{schema}`", count(len(names)), count(total)))
    lines = table(("schema", "relations", "rows"), rows)
    if wh.has("rpt_landing_files"):
        files, raw, staged, rejected, duplicates = wh.query(
            "select count(*), sum(raw_rows), sum(staged_rows), sum(rejected_rows), "
            "sum(exact_duplicate_rows) from marts.rpt_landing_files"
        )[0]
        not_landed = ""
        if "is_landed" in wh.columns("rpt_landing_files"):
            (skipped,) = wh.query(
                "select count(*) from marts.rpt_landing_files where not is_landed"
            )[0]
            files -= skipped
            if skipped:
                not_landed = (
                    f" {count(skipped)} other files not landed (reasons in "
                    "`marts.rpt_landing_files`)."
                )
        lines += [
            "",
            f"Landing: {count(files)} files, {count(raw)} raw records: {count(staged)} staged "
            f"({count(duplicates)} of them exact duplicates), {count(rejected)} rejected "
            f"(reasons in `staging.stg_landing__rejected_rows`).{not_landed}",
        ]
    else:
        lines += ["", *absent(["rpt_landing_files"])]
    return lines


def entities(wh: Warehouse) -> list[str]:
    lines: list[str] = []
    if wh.has("dim_users") and "user_type" in wh.columns("dim_users"):
        rows = wh.query("select user_type, count(*) from marts.dim_users group by 1 order by 1")
        lines += table(("user type", "users"), [(f"`{t}`", count(n)) for t, n in rows])
    else:
        lines += absent(["dim_users"])
    for name, noun in (("dim_accounts", "accounts"), ("dim_customers", "customers")):
        if wh.has(name):
            lines += ["", f"{count(wh.query(f'select count(*) from marts.{name}')[0][0])} {noun}."]
        else:
            lines += ["", *absent([name])]
    return lines


def adoption(wh: Warehouse) -> list[str]:
    if not wh.has("fct_adoption"):
        return absent(["fct_adoption"])
    accounts, adopted, median_days = wh.query(
        "select count(*), count(*) filter (where is_adopted), "
        "median(days_from_signup_to_adoption) from marts.fct_adoption"
    )[0]
    if not accounts:
        return ["`marts.fct_adoption` has no rows (no users in this build)."]
    return [
        f"{count(adopted)} of {count(accounts)} accounts adopted ({rate(adopted / accounts)}); "
        f"median days from signup to adoption: {number(median_days, 1)}."
    ]


def retention(wh: Warehouse) -> list[str]:
    if not wh.has("rpt_retention_cohorts"):
        return absent(["rpt_retention_cohorts"])
    rows = wh.query(
        """
        select
            user_type,
            sum(retained_users) filter (where period_unit = 'day' and period_number = 7),
            sum(observable_users) filter (where period_unit = 'day' and period_number = 7),
            sum(retained_users) filter (where period_unit = 'week' and period_number = 4),
            sum(observable_users) filter (where period_unit = 'week' and period_number = 4)
        from marts.rpt_retention_cohorts
        where cohort_grain = 'week'
        group by 1
        order by 1
        """
    )
    if not rows:
        return ["`marts.rpt_retention_cohorts` has no rows."]
    cells = []
    for user_type, day7, day7_seen, week4, week4_seen in rows:
        cells.append(
            (
                f"`{user_type}`",
                rate(day7 / day7_seen) if day7_seen else "n/a",
                count(day7_seen),
                rate(week4 / week4_seen) if week4_seen else "n/a",
                count(week4_seen),
            )
        )
    return [
        "Weekly cohorts pooled; each rate counts only the users whose day 7 or week 4 the data "
        "already covers.",
        "",
        *table(("user type", "day 7", "users seen", "week 4", "users seen"), cells),
    ]


def models(wh: Warehouse) -> list[str]:
    cells, missing = [], []
    for subject, name in METRICS_TABLES:
        if not wh.has(name):
            missing.append(name)
            continue
        cutoff = "cutoff_days" if "cutoff_days" in wh.columns(name) else "null"
        for row in wh.query(
            f"""
            select {cutoff}, model_name, status, test_rows,
                roc_auc, roc_auc_low, roc_auc_high,
                baseline_roc_auc, baseline_roc_auc_low, baseline_roc_auc_high,
                roc_auc_gain, roc_auc_gain_low, roc_auc_gain_high
            from marts.{name}
            order by 1, 2
            """
        ):
            at, model, status, test_rows = row[:4]
            cells.append(
                (
                    subject if at is None else f"{subject}, day {at}",
                    f"`{model}`",
                    status,
                    count(test_rows),
                    interval(*row[4:7]),
                    interval(*row[7:10]),
                    interval(*row[10:13]),
                )
            )
    header = ("subject", "model", "status", "test rows", "ROC AUC", "baseline", "gain")
    lines = (
        [
            "Held-out ROC AUC with paired bootstrap 95% intervals; the baseline is the rule "
            "without a model, and the gain is what the model adds to it.",
            "",
            *table(header, cells),
        ]
        if cells
        else []
    )
    if missing:
        lines += ["", *absent(missing)] if lines else absent(missing)
    return lines


def aha(wh: Warehouse) -> list[str]:
    if not wh.has("rpt_aha_moments"):
        return absent(["rpt_aha_moments"])
    rows = wh.query(
        """
        select user_type, action, threshold, window_days, users, phi, phi_low, phi_high
        from marts.rpt_aha_moments
        where rank_in_user_type = 1
        order by 1
        """
    )
    holds_up = {}
    if wh.has("rpt_aha_validation"):
        validated = wh.query(
            "select user_type, action, threshold, window_days, holds_up "
            "from marts.rpt_aha_validation"
        )
        holds_up = {tuple(candidate): held for *candidate, held in validated}
    cells = []
    for user_type, action, k, d, users, phi, low, high in rows:
        held = holds_up.get((user_type, action, k, d))
        cells.append(
            (
                f"`{user_type}`",
                f"{action} at least {k} times in the first {d} days",
                count(users),
                interval(phi, low, high, 2),
                "not validated" if held is None else ("yes" if held else "no"),
            )
        )
    lines = [
        "The best candidate of each user type (rank 1 by phi), and whether it holds up "
        "among later users.",
        "",
        *table(("user type", "aha moment", "users", "phi [95%]", "holds up"), cells),
    ]
    if not wh.has("rpt_aha_validation"):
        lines += ["", *absent(["rpt_aha_validation"])]
    return lines


def behaviour(wh: Warehouse) -> list[str]:
    name = "rpt_customer_behaviour_differences"
    if not wh.has(name):
        return absent([name])
    tests, flagged = wh.query(
        f"select count(*), count(*) filter (where is_different) from marts.{name}"
    )[0]
    rows = wh.query(
        f"""
        select customer_code, dimension, top_category, effect_size, p_value
        from marts.{name}
        where is_different
        order by 1, 2
        """
    )
    cells = [
        (f"`{customer}`", dimension, str(top), number(effect, 2), f"{p:.1e}")
        for customer, dimension, top, effect, p in rows
    ]
    lines = [f"{count(flagged)} of {count(tests)} customer x dimension tests flagged."]
    if cells:
        header = ("customer", "dimension", "over-used category", "distance", "p-value")
        lines += ["", *table(header, cells)]
    return lines


def recommendations(wh: Warehouse) -> list[str]:
    name = "ml_page_recommendation_metrics"
    if not wh.has(name):
        return absent([name])
    rows = wh.query(
        f"""
        select
            k,
            max(hit_rate_at_k) filter (where model_name = 'item_cosine'),
            max(hit_rate_at_k) filter (where model_name = 'most_popular'),
            max(hit_rate_at_k) filter (where model_name = 'random'),
            max(hit_rate_gain_over_popular) filter (where model_name = 'item_cosine'),
            max(hit_rate_gain_low) filter (where model_name = 'item_cosine'),
            max(hit_rate_gain_high) filter (where model_name = 'item_cosine'),
            max(users_evaluated)
        from marts.{name}
        group by 1
        order by 1
        """
    )
    if not rows:
        return [f"`marts.{name}` has no rows."]
    cells = [
        (str(k), number(cosine), number(popular), number(pick), interval(gain, low, high))
        for k, cosine, popular, pick, gain, low, high, _ in rows
    ]
    return [
        f"Hit rate at k over {count(rows[0][7])} users evaluated.",
        "",
        *table(("k", "item cosine", "most popular", "random", "gain over popular"), cells),
    ]


SECTIONS: tuple[tuple[str, Callable[[Warehouse], list[str]]], ...] = (
    ("Rows per layer", layers),
    ("Users, accounts, customers", entities),
    ("Adoption", adoption),
    ("Retention", retention),
    ("Scored models", models),
    ("Aha moments", aha),
    ("Customers that behave differently", behaviour),
    ("Page recommendations", recommendations),
)


def render(conn: Any, source: str = "") -> str:
    """The results page of the warehouse behind `conn` (a DuckDB connection)."""
    wh = Warehouse(conn)
    lines = ["# Results", ""]
    if source:
        lines += [f"Written by `uptake results` from `{source}`; regenerate after a build.", ""]
    for heading, section in SECTIONS:
        lines += [f"## {heading}", "", *section(wh), ""]
    return "\n".join(lines)


def render_file(path: Path) -> str:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        return render(conn, source=str(path))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="DuckDB file (default: $UPTAKE_DB_PATH or the build's)")
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help=f"Markdown file to write (default: {DEFAULT_OUT})"
    )


def run(args: argparse.Namespace) -> int:
    from uptake.cli import db_path

    path = Path(args.db) if args.db else db_path()
    if not path.exists():
        raise OSError(f"no DuckDB file at {path}; run scripts/build.sh first")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_file(path))
    print(f"wrote {out}")
    return 0
