"""The metrics the API serves as series, each an aggregate over one published mart.

A metric names its mart, the date that places a row in a period, the aggregate of a
period's rows, the grains (day, week, month) and the dimensions it can be split by. A
series is one value per period (and dimension value): ``series_query`` writes its SQL.
Every name that enters the SQL comes from this catalogue, never from the request.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal

Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")

_USER_DAYS = (
    "marts.fct_user_days as user_days"
    " left join marts.dim_customers as customers"
    " on user_days.customer_code = customers.customer_code"
)


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    unit: str
    source: str  # the FROM clause: marts relations
    date_column: str
    value: str  # an aggregate over the rows of one period
    dimensions: dict[str, str] = field(default_factory=dict)  # name -> SQL expression
    grains: tuple[Grain, ...] = GRAINS
    where: str = "true"
    # Retention: the period after the cohort's start (query parameter ``period``).
    period_column: str | None = None

    @property
    def tables(self) -> list[str]:
        return [word for word in self.source.split() if word.startswith("marts.")]


def _rolling(name: str, what: str) -> Metric:
    """DAU, WAU or MAU (a column of rpt_daily_active_users): as of each day; at week and
    month grain the mean over the days of the period, summed over the user types of a
    day (a day with no row of a type counts that type as 0)."""
    return Metric(
        name=name,
        description=(
            f"{what} As of each day (rpt_daily_active_users); at week and month grain the"
            " mean over the days of the period. Without a dimension, summed over the user"
            " types (account, web_user, client)."
        ),
        unit="users",
        source="marts.rpt_daily_active_users",
        date_column="calendar_date",
        value=f"sum({name}) * 1.0 / count(distinct calendar_date)",
        dimensions={"user_type": "user_type"},
    )


# Metrics of the accounts by signup date, and of the shares by the day they were sent.
_signup_metric = functools.partial(
    Metric,
    source="marts.fct_adoption",
    date_column="signup_date",
    dimensions={"creation_source": "creation_source", "is_invited": "is_invited"},
)
_share_metric = functools.partial(
    Metric,
    source="marts.fct_shares",
    date_column="shared_date",
    dimensions={
        "customer": "customer_code",
        "industry": "industry",
        "share_channel": "share_channel",
    },
)

# A sharing user is a relationship manager who sent a share, keyed by customer: an RM ID
# is unique only within its customer's export (null when the export gives none).
_SENDER = "customer_code || ':' || relationship_manager_id"

CATALOGUE: dict[str, Metric] = {
    metric.name: metric
    for metric in [
        _rolling("daily_active_users", "DAU: users active on the day."),
        _rolling("weekly_active_users", "WAU: users active in the trailing 7 days."),
        _rolling("monthly_active_users", "MAU: users active in the trailing 28 days."),
        Metric(
            name="stickiness",
            description=(
                "DAU/MAU: the share of the trailing 28 days' users who came on the day; at"
                " week and month grain, the period's DAU over its MAU (each summed over"
                " its days)."
            ),
            unit="ratio",
            source="marts.rpt_daily_active_users",
            date_column="calendar_date",
            value="sum(daily_active_users) * 1.0 / nullif(sum(monthly_active_users), 0)",
            dimensions={"user_type": "user_type"},
        ),
        Metric(
            name="active_users",
            description=(
                "Distinct users with an active day in the calendar period (fct_user_days)."
                " customer and industry are known for share_view clients only; other users"
                " fall in the null group."
            ),
            unit="users",
            source=_USER_DAYS,
            date_column="user_days.activity_date",
            value="count(distinct user_days.user_key)",
            dimensions={
                "user_type": "user_days.user_type",
                "customer": "user_days.customer_code",
                "industry": "customers.industry",
            },
        ),
        _signup_metric(
            name="signups",
            description="Product accounts that signed up in the period (fct_adoption).",
            unit="accounts",
            value="count(*)",
        ),
        _signup_metric(
            name="adoption_rate",
            description=(
                "Share of the accounts that signed up in the period that have adopted by"
                " the end of the data (fct_adoption): recent cohorts have had less time."
            ),
            unit="ratio",
            value="avg(case when is_adopted then 1.0 else 0.0 end)",
        ),
        _signup_metric(
            name="median_days_to_adopt",
            description=(
                "Median days from signup to adoption of the accounts of the signup period"
                " that adopted (fct_adoption); null when none did."
            ),
            unit="days",
            value="quantile_cont(days_from_signup_to_adoption, 0.5)",
            where="is_adopted",
        ),
        Metric(
            name="retention_rate",
            description=(
                "N-period retention of the cohort that started in the period"
                " (rpt_retention_cohorts): users active in period N (query parameter"
                " period, default 1) after their first, over the users the data can"
                " observe that far; week grain counts weeks, month grain months. A cell"
                " the data cannot observe yet is null, never 0. Without a dimension,"
                " pooled over the user types."
            ),
            unit="ratio",
            source="marts.rpt_retention_cohorts",
            date_column="cohort_start_date",
            value="sum(retained_users) * 1.0 / nullif(sum(observable_users), 0)",
            dimensions={"user_type": "user_type"},
            grains=("week", "month"),
            where="cohort_grain = $grain and period_unit = $grain",
            period_column="period_number",
        ),
        _share_metric(
            name="shares",
            description=(
                "Content shares sent in the period (fct_shares, exact duplicate rows left out)."
            ),
            unit="shares",
            value="count(*)",
            where="not is_exact_duplicate",
        ),
        _share_metric(
            name="sharing_users",
            description=(
                "Relationship managers who sent at least one share in the period: distinct"
                " (customer, RM ID), an RM ID being unique only within its customer's export"
                " (fct_shares, exact duplicates left out), as"
                " rpt_customer_engagement.sharing_users."
            ),
            unit="users",
            value=f"count(distinct {_SENDER})",
            where="not is_exact_duplicate",
        ),
        _share_metric(
            name="share_recipients",
            description=(
                "Clients who received at least one share in the period: distinct (customer,"
                " client) (fct_shares, exact duplicates left out), as"
                " rpt_customer_engagement.share_recipients."
            ),
            unit="users",
            value="count(distinct customer_code || ':' || client_id)",
            where="not is_exact_duplicate",
        ),
        _share_metric(
            name="shares_per_sharing_user",
            description=(
                "Shares sent in the period per sharing user: per relationship manager who"
                " sent one (fct_shares, exact duplicates left out)."
            ),
            unit="shares per user",
            value=f"count(*) * 1.0 / nullif(count(distinct {_SENDER}), 0)",
            where="not is_exact_duplicate",
        ),
        _share_metric(
            name="view_through_rate",
            description=(
                "Share of the period's shares that were viewed (fct_shares, exact duplicates"
                " left out)."
            ),
            unit="ratio",
            value="avg(case when is_viewed then 1.0 else 0.0 end)",
            where="not is_exact_duplicate",
        ),
        _share_metric(
            name="median_minutes_to_first_view",
            description=(
                "Median minutes from share to first linked view, over the period's shares"
                " whose first view is known (fct_shares); null when none is."
            ),
            unit="minutes",
            value="quantile_cont(minutes_to_first_view, 0.5)",
            where="not is_exact_duplicate and minutes_to_first_view is not null",
        ),
        Metric(
            name="views",
            description="Content views in the period (fct_views, exact duplicate rows left out).",
            unit="views",
            source="marts.fct_views",
            date_column="viewed_date",
            value="count(*)",
            dimensions={
                "customer": "customer_code",
                "industry": "industry",
                "device_type": "device_type",
            },
            where="not is_exact_duplicate",
        ),
    ]
}


def series_query(metric: Metric, grain: Grain, dimension: str | None) -> str:
    """SQL of a whole series, with parameters ``$start`` and ``$end`` (first and last
    period, dates or null) and, where the metric uses them, ``$period`` (retention) and
    ``$grain``; columns period_start, dimension_value and value."""
    period_start = f"cast(date_trunc('{grain}', {metric.date_column}) as date)"
    dimension_sql = metric.dimensions[dimension] if dimension else "null"
    period_filter = f"{metric.period_column} = $period" if metric.period_column else "true"
    return f"""
        select
            {period_start} as period_start,
            cast({dimension_sql} as varchar) as dimension_value,
            {metric.value} as value
        from {metric.source}
        where
            ({metric.where})
            and {period_filter}
            and (cast($start as date) is null or {period_start} >= cast($start as date))
            and (cast($end as date) is null or {period_start} <= cast($end as date))
        group by 1, 2
    """
