{#
    One row per user per calendar day of the user's spine (first active day to 27 days
    after the last, never past the end of the data): active or not, and active days in
    the trailing 7 and 28 days (the day itself included).
#}

{% if var('trailing_window_days') < 28 %}
    {{ exceptions.raise_compiler_error(
        "var trailing_window_days must be at least 28 for the 28-day windows") }}
{% endif %}

with

spine as (
    select
        user_key,
        user_type,
        calendar_date,
        first_active_date,
        is_active
    from {{ ref('int_user_day_spine') }}
),

windows as (
    select
        user_key,
        user_type,
        calendar_date,
        is_active,
        {{ dbt.datediff('first_active_date', 'calendar_date', 'day') }}
            as days_since_first_active,
        cast(sum(case when is_active then 1 else 0 end) over (
            partition by user_key order by calendar_date
            rows between 6 preceding and current row
        ) as integer) as active_days_trailing_7d,
        cast(sum(case when is_active then 1 else 0 end) over (
            partition by user_key order by calendar_date
            rows between 27 preceding and current row
        ) as integer) as active_days_trailing_28d
    from spine
)

select * from windows
