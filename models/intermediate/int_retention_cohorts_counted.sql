-- depends_on: {{ ref('int_user_days_aggregated') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_type', 'cohort_date'],
    post_hook="{{ delete_cohort_days_without_users(this, ref('int_user_cohorts_assigned')) }}",
) }}

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

    Incremental (delete+insert by cohort day): a run recounts the cohort days a new or
    late day can change: those of the users whose active periods it may change (macro
    retention_users_to_recompute: new users, users moved to an earlier cohort day by a
    late event, users active since the cutoff unless already active beyond every
    reported period), those whose number of users is not the one counted (users who
    joined or left), and those with a period the end of the data now covers that it
    did not before. The cutoff, per user type, is the latest active day counted (day N
    after a cohort day) less var('late_arrival_lookback_days'). A cohort day left
    without users (all moved earlier) is deleted after the run (post-hook).
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

all_user_periods as (
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

all_periods as (
    select
        user_type,
        cohort_date,
        period_unit,
        period_number,
        is_observable
    from {{ ref('int_cohort_periods_observed') }}
),

{% if is_incremental() -%}
    user_days as (
        select
            user_key,
            activity_date
        from {{ ref('int_user_days_aggregated') }}
    ),

    -- Per user type already counted, the first day whose activity may have changed.
    cutoffs as (
        select
            user_type,
            {{ lookback_start(
                'max(' ~ dbt.dateadd('day', 'period_number', 'cohort_date') ~ ')'
            ) }} as cutoff_date
        from {{ this }}
        where segment_type = 'all' and period_unit = 'day' and active_users > 0
        group by 1
    ),

    users_to_recompute as (
        {{ retention_users_to_recompute('cohorts', 'user_days', 'cutoffs') }}
    ),

    -- Cohort days with a period counted as not observable that the data now covers.
    newly_observable_cohort_days as (
        select distinct
            counted.user_type,
            counted.cohort_date
        from {{ this }} as counted
        inner join all_periods
            on
                counted.user_type = all_periods.user_type
                and counted.cohort_date = all_periods.cohort_date
                and counted.period_unit = all_periods.period_unit
                and counted.period_number = all_periods.period_number
        where
            counted.segment_type = 'all'
            and not counted.is_observable
            and all_periods.is_observable
    ),

    -- Cohort days whose number of users is not the one counted (or not counted yet).
    cohort_sizes as (
        select
            user_type,
            cohort_date,
            count(*) as cohort_users
        from cohorts
        group by 1, 2
    ),

    resized_cohort_days as (
        select
            cohort_sizes.user_type,
            cohort_sizes.cohort_date
        from cohort_sizes
        left join {{ this }} as counted
            on
                cohort_sizes.user_type = counted.user_type
                and cohort_sizes.cohort_date = counted.cohort_date
                and counted.segment_type = 'all'
                and counted.period_unit = 'day'
                and counted.period_number = 0
        where
            counted.cohort_users is null
            or counted.cohort_users != cohort_sizes.cohort_users
    ),

    cohort_days_to_recount as (
        select
            cohorts.user_type,
            cohorts.cohort_date
        from cohorts
        inner join users_to_recompute on cohorts.user_key = users_to_recompute.user_key
        union
        select
            user_type,
            cohort_date
        from resized_cohort_days
        union
        select
            user_type,
            cohort_date
        from newly_observable_cohort_days
    ),
{%- endif %}

-- The users, active periods and periods of the cohort days to count (all of them on a
-- full build).
{% for name, relation in [
    ('cohort_members', 'cohorts'),
    ('user_periods', 'all_user_periods'),
    ('periods', 'all_periods'),
] %}
    {{ name }} as (
        select {{ relation }}.*
        from {{ relation }}
        {%- if is_incremental() %}
        inner join cohort_days_to_recount
            on
                {{ relation }}.user_type = cohort_days_to_recount.user_type
                and {{ relation }}.cohort_date = cohort_days_to_recount.cohort_date
        {%- endif %}
    ),

{% endfor %}

segment_members as (
    select
        user_key,
        user_type,
        cohort_date,
        'all' as segment_type,
        'all' as segment_value
    from cohort_members
    {% for segment, user_types in segments.items() %}
        union all
        select
            user_key,
            user_type,
            cohort_date,
            '{{ segment }}' as segment_type,
            coalesce({{ segment }}, 'unknown') as segment_value
        from cohort_members
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
        cohort_members.user_type,
        cohort_members.cohort_date,
        {% for segment in segments.keys() -%}
            cohort_members.{{ segment }},
        {% endfor -%}
        user_periods.period_number,
        count(case when user_periods.is_active_period then 1 end) as active_users,
        count(case when user_periods.is_last_active_period then 1 end) as last_active_users
    from user_periods
    inner join cohort_members on user_periods.user_key = cohort_members.user_key
    where user_periods.period_unit = 'week'
    group by
        cohort_members.user_type,
        cohort_members.cohort_date,
        {% for segment in segments.keys() -%}
            cohort_members.{{ segment }},
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
