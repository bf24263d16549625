{#
    One row per user type, cohort day, segment, period unit and period number N: the
    users of that cohort day and segment, how many were active in period N and how many
    in period N or later, and whether the data covers period N of that cohort day in
    full (the cells of int_cohort_periods_observed).

    Segment 'all' (value 'all') counts every user, by day, week and month; the segments
    of rpt_retention_segments are counted by week only. Counts add up over cohort days:
    the retention marts sum them into cohorts and segments. Each user is counted from
    its active periods only (int_user_active_periods_numbered), so the work grows with activity,
    not with users times periods.

    Rebuilt whole on every run, on purpose: a new day changes the counts of every cohort
    day with a user active in it within the last reported period (month
    retention_max_months, over a year), and the cells of every cohort day the end of the
    data reaches. On the profiling kit (0.1 of the default size, one new day) that was
    91% of the rows: counting only those cohort days took 15.7 s, rebuilding all 7.5 s.
#}

{# segment -> the user types it describes #}
{% set segments = {
    'creation_source': ['account'],
    'os_family': ['web_user', 'client'],
    'browser_family': ['web_user', 'client'],
    'device_type': ['web_user', 'client'],
    'plan': ['web_user'],
    'customer_code': ['client'],
    'industry': ['client'],
} %}

with

cohorts as (
    select
        user_key,
        user_type,
        cohort_date,
        {{ segments.keys() | join(',\n        ') }}
    from {{ ref('int_user_cohorts_assigned') }}
),

user_periods as (
    select
        user_key,
        user_type,
        cohort_date,
        period_unit,
        period_number,
        is_active_period,
        is_last_active_period
    from {{ ref('int_user_active_periods_numbered') }}
),

periods as (
    select
        user_type,
        cohort_date,
        period_unit,
        period_number,
        is_observable
    from {{ ref('int_cohort_periods_observed') }}
),

segment_members as (
    select
        user_key,
        user_type,
        cohort_date,
        'all' as segment_type,
        'all' as segment_value
    from cohorts
    {% for segment, user_types in segments.items() %}
        union all
        select
            user_key,
            user_type,
            cohort_date,
            '{{ segment }}' as segment_type,
            coalesce({{ segment }}, 'unknown') as segment_value
        from cohorts
        where user_type in ({{ "'" ~ user_types | join("', '") ~ "'" }})
    {% endfor %}
),

segment_sizes as (
    select
        user_type,
        cohort_date,
        segment_type,
        segment_value,
        count(*) as cohort_users
    from segment_members
    group by 1, 2, 3, 4
),

-- Segment 'all', by every unit: straight from the active periods, which carry each
-- user's type and cohort day.
all_period_counts as (
    select
        user_type,
        cohort_date,
        'all' as segment_type,
        'all' as segment_value,
        period_unit,
        period_number,
        count(case when is_active_period then 1 end) as active_users,
        count(case when is_last_active_period then 1 end) as last_active_users
    from user_periods
    group by 1, 2, 3, 4, 5, 6
),

-- The other segments, by week: first per cohort day and combination of segment values
-- (one join of the weekly rows to the users), then per segment.
week_combination_counts as (
    select
        cohorts.user_type,
        cohorts.cohort_date,
        {% for segment in segments.keys() -%}
            cohorts.{{ segment }},
        {% endfor -%}
        user_periods.period_number,
        count(case when user_periods.is_active_period then 1 end) as active_users,
        count(case when user_periods.is_last_active_period then 1 end) as last_active_users
    from user_periods
    inner join cohorts on user_periods.user_key = cohorts.user_key
    where user_periods.period_unit = 'week'
    group by
        cohorts.user_type,
        cohorts.cohort_date,
        {% for segment in segments.keys() -%}
            cohorts.{{ segment }},
        {% endfor -%}
        user_periods.period_number
),

period_counts as (
    select * from all_period_counts
    {% for segment, user_types in segments.items() %}
        union all
        select
            user_type,
            cohort_date,
            '{{ segment }}' as segment_type,
            coalesce({{ segment }}, 'unknown') as segment_value,
            'week' as period_unit,
            period_number,
            {{ bigint_sum('active_users') }} as active_users,
            {{ bigint_sum('last_active_users') }} as last_active_users
        from week_combination_counts
        where user_type in ({{ "'" ~ user_types | join("', '") ~ "'" }})
        group by 1, 2, 3, 4, 5, 6
    {% endfor %}
),

cells as (
    select
        segment_sizes.user_type,
        segment_sizes.cohort_date,
        segment_sizes.segment_type,
        segment_sizes.segment_value,
        periods.period_unit,
        periods.period_number,
        periods.is_observable,
        segment_sizes.cohort_users,
        coalesce(period_counts.active_users, 0) as active_users,
        coalesce(period_counts.last_active_users, 0) as last_active_users
    from segment_sizes
    inner join periods
        on
            segment_sizes.user_type = periods.user_type
            and segment_sizes.cohort_date = periods.cohort_date
    left join period_counts
        on
            segment_sizes.user_type = period_counts.user_type
            and segment_sizes.cohort_date = period_counts.cohort_date
            and segment_sizes.segment_type = period_counts.segment_type
            and segment_sizes.segment_value = period_counts.segment_value
            and periods.period_unit = period_counts.period_unit
            and periods.period_number = period_counts.period_number
    where segment_sizes.segment_type = 'all' or periods.period_unit = 'week'
),

{# active in N or later: the users whose last active period is N or later #}
final as (
    select
        user_type,
        cohort_date,
        segment_type,
        segment_value,
        period_unit,
        period_number,
        is_observable,
        cohort_users,
        active_users,
        cast(sum(last_active_users) over (
            partition by user_type, cohort_date, segment_type, segment_value, period_unit
            order by period_number desc
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as active_on_or_after_users
    from cells
)

select * from final
