{{ config(materialized='table') }}

{#
    One row per user type, cohort day, segment, period unit and period number N: the
    users of that cohort day and segment, how many were active in period N and how many
    in period N or later, and whether the data covers period N of that cohort day in
    full (day N: that day after the cohort day; week N: days 7N to 7N+6; month N: from N
    to N+1 months after).

    Segment 'all' (value 'all') counts every user, by day, week and month; the segments
    of rpt_retention_segments are counted by week only. Counts add up over cohort days:
    the retention marts sum them into cohorts and segments. Each user is counted from
    its active periods only, so the work grows with activity, not with users times
    periods.
#}

{% set units = [
    ('day', var('retention_max_days')),
    ('week', var('retention_max_weeks')),
    ('month', var('retention_max_months')),
] %}
{% set period_count = units | map(attribute=1) | max + 1 %}

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
        data_end_date,
        {{ segments.keys() | join(',\n        ') }}
    from {{ ref('int_user_cohorts_assigned') }}
),

user_days as (
    select
        user_key,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
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

day_activity as (
    select
        cohorts.user_key,
        cohorts.cohort_date,
        user_days.activity_date,
        {{ dbt.datediff('cohorts.cohort_date', 'user_days.activity_date', 'day') }}
            as day_number
    from user_days
    inner join cohorts on user_days.user_key = cohorts.user_key
    where user_days.activity_date >= cohorts.cohort_date
),

{# calendar months are counted once per (cohort day, active day), not per user day #}
month_numbers as (
    select
        cohort_date,
        activity_date,
        {{ whole_months_between('cohort_date', 'activity_date') }} as month_number
    from (
        select distinct
            cohort_date,
            activity_date
        from day_activity
    ) as date_pairs
),

activity as (
    select
        day_activity.user_key,
        day_activity.day_number,
        month_numbers.month_number
    from day_activity
    inner join month_numbers
        on
            day_activity.cohort_date = month_numbers.cohort_date
            and day_activity.activity_date = month_numbers.activity_date
),

active_periods as (
    select distinct
        user_key,
        'day' as period_unit,
        day_number as period_number
    from activity
    where day_number <= {{ var('retention_max_days') }}
    union all
    select distinct
        user_key,
        'week' as period_unit,
        cast(floor(day_number / 7) as integer) as period_number
    from activity
    where day_number < 7 * ({{ var('retention_max_weeks') }} + 1)
    union all
    select distinct
        user_key,
        'month' as period_unit,
        month_number as period_number
    from activity
    where month_number <= {{ var('retention_max_months') }}
),

last_activity as (
    select
        user_key,
        max(day_number) as last_day_number,
        max(month_number) as last_month_number
    from activity
    group by 1
),

{# the last active period, capped at the last period reported: a user active later
   than that is active "in period N or later" for every N reported #}
last_active_periods as (
    select
        user_key,
        'day' as period_unit,
        case
            when last_day_number > {{ var('retention_max_days') }}
                then {{ var('retention_max_days') }}
            else last_day_number
        end as period_number
    from last_activity
    union all
    select
        user_key,
        'week' as period_unit,
        case
            when last_day_number >= 7 * {{ var('retention_max_weeks') }}
                then {{ var('retention_max_weeks') }}
            else cast(floor(last_day_number / 7) as integer)
        end as period_number
    from last_activity
    union all
    select
        user_key,
        'month' as period_unit,
        case
            when last_month_number > {{ var('retention_max_months') }}
                then {{ var('retention_max_months') }}
            else last_month_number
        end as period_number
    from last_activity
),

period_numbers as (
    {{ dbt.generate_series(period_count) }}
),

cohort_days as (
    select distinct
        user_type,
        cohort_date,
        data_end_date
    from cohorts
),

{% for unit, max_period in units %}
    {{ unit }}_periods as (
        select
            cohort_days.user_type,
            cohort_days.cohort_date,
            '{{ unit }}' as period_unit,
            period_numbers.generated_number - 1 as period_number,
            {%- if unit == 'day' %}
                cast({{ dbt.dateadd('day', 'period_numbers.generated_number - 1',
                    'cohort_days.cohort_date') }} as date) as period_end_date,
            {%- elif unit == 'week' %}
                cast({{ dbt.dateadd('day', '7 * period_numbers.generated_number - 1',
                    'cohort_days.cohort_date') }} as date) as period_end_date,
            {%- else %}
                cast({{ dbt.dateadd('day', -1, dbt.dateadd('month',
                    'period_numbers.generated_number', 'cohort_days.cohort_date')) }} as date)
                    as period_end_date,
            {%- endif %}
            cohort_days.data_end_date
        from cohort_days
        cross join period_numbers
        where period_numbers.generated_number - 1 <= {{ max_period }}
    ),

{% endfor %}

periods as (
    {% for unit, max_period in units %}
        select
            user_type,
            cohort_date,
            period_unit,
            period_number,
            coalesce(period_end_date <= data_end_date, false) as is_observable
        from {{ unit }}_periods
        {% if not loop.last %}union all{% endif %}
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

{# each user's active periods, and the last one (capped), counted together #}
user_periods as (
    select
        user_key,
        period_unit,
        period_number,
        1 as is_active_period,
        0 as is_last_active_period
    from active_periods
    union all
    select
        user_key,
        period_unit,
        period_number,
        0 as is_active_period,
        1 as is_last_active_period
    from last_active_periods
),

period_counts as (
    select
        segment_members.user_type,
        segment_members.cohort_date,
        segment_members.segment_type,
        segment_members.segment_value,
        user_periods.period_unit,
        user_periods.period_number,
        {{ bigint_sum('user_periods.is_active_period') }} as active_users,
        {{ bigint_sum('user_periods.is_last_active_period') }} as last_active_users
    from user_periods
    inner join segment_members on user_periods.user_key = segment_members.user_key
    where segment_members.segment_type = 'all' or user_periods.period_unit = 'week'
    group by 1, 2, 3, 4, 5, 6
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
