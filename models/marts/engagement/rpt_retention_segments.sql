{#
    One row per user type, segment and week N after the cohort date: weekly retention
    ("active in week N" and "in week N or later") of every segment, all cohorts
    together. Segments (see int_retention_cohorts_counted): creation source (accounts);
    OS family, browser family, device type and plan of the first active day (web-tool
    users); customer, industry, OS family, browser family and device type of the first
    view (clients). As in rpt_retention_cohorts, rates count only users whose week N
    the data covers.
#}

with

cohort_day_counts as (
    select
        user_type,
        segment_type,
        segment_value,
        period_number,
        is_observable,
        cohort_users,
        active_users,
        active_on_or_after_users
    from {{ ref('int_retention_cohorts_counted') }}
    where segment_type != 'all' and period_unit = 'week'
),

cells as (
    select
        user_type,
        segment_type,
        segment_value,
        period_number as week_number,
        {{ bigint_sum('cohort_users') }} as cohort_users,
        {{ bigint_sum('case when is_observable then cohort_users else 0 end') }}
            as observable_users,
        {{ bigint_sum('case when is_observable then active_users else 0 end') }}
            as retained_users,
        {{ bigint_sum('case when is_observable then active_on_or_after_users else 0 end') }}
            as retained_or_later_users
    from cohort_day_counts
    group by 1, 2, 3, 4
),

final as (
    select
        user_type,
        segment_type,
        segment_value,
        week_number,
        cohort_users as user_count,
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
