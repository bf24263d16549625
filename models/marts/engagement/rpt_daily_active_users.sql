{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_type', 'calendar_date'],
) }}

{#
    One row per user type and calendar day: DAU (active that day), WAU (active in the
    trailing 7 days), MAU (active in the trailing 28 days) and DAU/MAU, the share of the
    month's users who came that day. Incremental: a run recomputes each user type's days
    from its latest built day less var('late_arrival_lookback_days').
#}

with

{% if is_incremental() -%}
    -- Per user type already built, the first day to recompute.
    cutoffs as (
        select
            user_type,
            {{ lookback_start('max(calendar_date)') }} as cutoff_date
        from {{ this }}
        group by 1
    ),
{%- endif %}

windows as (
    select
        user_windows.user_type,
        user_windows.calendar_date,
        user_windows.is_active,
        user_windows.active_days_trailing_7d,
        user_windows.active_days_trailing_28d
    from {{ ref('int_user_day_windows_computed') }} as user_windows
    {%- if is_incremental() %}
    left join cutoffs on user_windows.user_type = cutoffs.user_type
    where
        cutoffs.cutoff_date is null
        or user_windows.calendar_date >= cutoffs.cutoff_date
    {%- endif %}
),

daily as (
    select
        user_type,
        calendar_date,
        count(case when is_active then 1 end) as daily_active_users,
        count(case when active_days_trailing_7d > 0 then 1 end) as weekly_active_users,
        count(case when active_days_trailing_28d > 0 then 1 end) as monthly_active_users
    from windows
    group by 1, 2
),

final as (
    select
        *,
        cast(daily_active_users as double)
        / nullif(monthly_active_users, 0) as dau_over_mau
    from daily
)

select * from final
