{#
    One row per user type, cohort and period: how many users of a signup (accounts) or
    first-activity (web-tool users, clients) cohort were active in period N ("on day /
    week / month N") and in period N or later ("unbounded"). Weekly cohorts are reported
    by day and by week, monthly cohorts by month.

    Rates count only observable users (those whose period N the data covers in full);
    a cell with fewer observable than cohort users is is_complete = false, and a cell
    with none has null rates, never 0.
#}

with

cohort_day_counts as (
    select
        user_type,
        cohort_date,
        period_unit,
        period_number,
        is_observable,
        cohort_users,
        active_users,
        active_on_or_after_users
    from {{ ref('int_retention_cohorts_counted') }}
    where segment_type = 'all'
),

cohort_periods as (
    select
        *,
        'week' as cohort_grain,
        {{ week_start('cohort_date') }} as cohort_start_date
    from cohort_day_counts
    where period_unit in ('day', 'week')
    union all
    select
        *,
        'month' as cohort_grain,
        cast({{ dbt.date_trunc('month', 'cohort_date') }} as date) as cohort_start_date
    from cohort_day_counts
    where period_unit = 'month'
),

cells as (
    select
        user_type,
        cohort_grain,
        cohort_start_date,
        period_unit,
        period_number,
        {{ bigint_sum('cohort_users') }} as cohort_users,
        {{ bigint_sum('case when is_observable then cohort_users else 0 end') }}
            as observable_users,
        {{ bigint_sum('case when is_observable then active_users else 0 end') }}
            as retained_users,
        {{ bigint_sum('case when is_observable then active_on_or_after_users else 0 end') }}
            as retained_or_later_users
    from cohort_periods
    group by 1, 2, 3, 4, 5
),

final as (
    select
        user_type,
        cohort_grain,
        cohort_start_date,
        period_unit,
        period_number,
        cohort_users,
        observable_users,
        retained_users,
        retained_or_later_users,
        cast(retained_users as double) / nullif(observable_users, 0) as retention_rate,
        cast(retained_or_later_users as double)
        / nullif(observable_users, 0) as unbounded_retention_rate,
        observable_users = cohort_users as is_complete
    from cells
)

select * from final
