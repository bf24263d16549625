{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_key', 'calendar_date'],
) }}

-- depends_on: {{ ref('int_user_days_aggregated') }}

{#
    One row per user per calendar day of the user's spine (first active day to 27 days
    after the last, never past the end of the data): active or not, and active days in
    the trailing 7 and 28 days (the day itself included). Incremental: a run recomputes
    each user type's days from its latest built day minus
    var('late_arrival_lookback_days') (per user: see user_recompute_starts), reading 27
    days further back for the windows.
#}

{% if var('trailing_window_days') < 28 %}
    {{ exceptions.raise_compiler_error(
        "var trailing_window_days must be at least 28 for the 28-day windows") }}
{% endif %}

with

{% if is_incremental() -%}
    cutoffs as (
        {{ incremental_cutoffs('calendar_date') }}
    ),

    recompute_starts as (
        {{ user_recompute_starts() }}
    ),
{%- endif %}

all_spine as (
    select
        user_key,
        user_type,
        calendar_date,
        first_active_date,
        is_active
    from {{ ref('int_user_day_spine') }}
),

-- The days to compute and the 27 days before them that their windows reach back to.
spine as (
    select all_spine.*
    from all_spine
    {{ after_user_cutoff('all_spine', 'calendar_date', days_before=27) }}
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
),

final as (
    select windows.*
    from windows
    {{ after_user_cutoff('windows', 'calendar_date') }}
)

select * from final
