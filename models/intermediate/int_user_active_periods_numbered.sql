{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_key',
) }}

{#
    One row per user, period unit (day, week, month) and period number N after the
    user's cohort day (int_user_cohorts_assigned) that is either a period the user was
    active in (is_active_period) or the user's last active period (is_last_active_period),
    or both. Day N is that day after the cohort day; week N days 7N to 7N+6; month N
    from N to N+1 whole months after. Periods beyond retention_max_days / _weeks /
    _months are not reported; a user last active beyond them has the last reported
    period as its last active one (active "in period N or later" for every N reported).
    Days before the cohort day do not count. A user never active on or after the cohort
    day has no row. Each row carries the user's type and cohort day.

    Incremental (delete+insert by user): a run recomputes, from all their days, the
    users a new or late day can change (macro retention_users_to_recompute): users of a
    cohort day on or after the cutoff, and users active on or after it, except those
    already active beyond every reported period before it; and the users whose cohort
    day is not the one built (new users, and accounts whose signup landed after their
    logins). The cutoff, per user type, is
    the latest active day built (day N after a cohort day) less
    var('late_arrival_lookback_days').
#}

with

cohorts as (
    select
        user_key,
        user_type,
        cohort_date
    from {{ ref('int_user_cohorts_assigned') }}
),

all_user_days as (
    select
        user_key,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

{% if is_incremental() -%}
    -- Per user type already built, the first day whose activity may have changed.
    cutoffs as (
        select
            user_type,
            {{ lookback_start(
                'max(' ~ dbt.dateadd('day', 'period_number', 'cohort_date') ~ ')'
            ) }} as cutoff_date
        from {{ this }}
        where period_unit = 'day' and is_active_period
        group by 1
    ),

    -- The cohort day each user was built with.
    built_cohorts as (
        select distinct
            user_key,
            cohort_date
        from {{ this }}
    ),

    -- Users a new or late day can change, and users whose cohort day is new or not the
    -- one built (an account whose signup lands after its first logins, say).
    users_to_recompute as (
        {{ retention_users_to_recompute('cohorts', 'all_user_days', 'cutoffs') }}
        union
        select cohorts.user_key
        from cohorts
        left join built_cohorts on cohorts.user_key = built_cohorts.user_key
        where
            built_cohorts.cohort_date is null
            or built_cohorts.cohort_date != cohorts.cohort_date
    ),
{%- endif %}

-- The days of the users to compute (all users on a full build).
user_days as (
    select all_user_days.*
    from all_user_days
    {%- if is_incremental() %}
    inner join users_to_recompute on all_user_days.user_key = users_to_recompute.user_key
    {%- endif %}
),

day_activity as (
    select
        cohorts.user_key,
        cohorts.user_type,
        cohorts.cohort_date,
        user_days.activity_date,
        {{ dbt.datediff('cohorts.cohort_date', 'user_days.activity_date', 'day') }}
            as day_number
    from user_days
    inner join cohorts on user_days.user_key = cohorts.user_key
    where user_days.activity_date >= cohorts.cohort_date
),

{# calendar months are counted once per (cohort day, active day), not per user day #}
date_pairs as (
    select distinct
        cohort_date,
        activity_date
    from day_activity
),

month_numbers as (
    select
        cohort_date,
        activity_date,
        {{ whole_months_between('cohort_date', 'activity_date') }} as month_number
    from date_pairs
),

activity as (
    select
        day_activity.user_key,
        day_activity.user_type,
        day_activity.cohort_date,
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
        user_type,
        cohort_date,
        'day' as period_unit,
        day_number as period_number
    from activity
    where day_number <= {{ var('retention_max_days') }}
    union all
    select distinct
        user_key,
        user_type,
        cohort_date,
        'week' as period_unit,
        cast(floor(day_number / 7) as integer) as period_number
    from activity
    where day_number < 7 * ({{ var('retention_max_weeks') }} + 1)
    union all
    select distinct
        user_key,
        user_type,
        cohort_date,
        'month' as period_unit,
        month_number as period_number
    from activity
    where month_number <= {{ var('retention_max_months') }}
),

last_activity as (
    select
        user_key,
        user_type,
        cohort_date,
        max(day_number) as last_day_number,
        max(month_number) as last_month_number
    from activity
    group by 1, 2, 3
),

{# the last active period, capped at the last period reported #}
last_active_periods as (
    select
        user_key,
        user_type,
        cohort_date,
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
        user_type,
        cohort_date,
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
        user_type,
        cohort_date,
        'month' as period_unit,
        case
            when last_month_number > {{ var('retention_max_months') }}
                then {{ var('retention_max_months') }}
            else last_month_number
        end as period_number
    from last_activity
),

flagged_periods as (
    select
        user_key,
        user_type,
        cohort_date,
        period_unit,
        period_number,
        1 as is_active,
        0 as is_last_active
    from active_periods
    union all
    select
        user_key,
        user_type,
        cohort_date,
        period_unit,
        period_number,
        0 as is_active,
        1 as is_last_active
    from last_active_periods
),

user_periods as (
    select
        user_key,
        user_type,
        cohort_date,
        period_unit,
        period_number,
        max(is_active) = 1 as is_active_period,
        max(is_last_active) = 1 as is_last_active_period
    from flagged_periods
    group by 1, 2, 3, 4, 5
)

select * from user_periods
