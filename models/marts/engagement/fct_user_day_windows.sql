{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_key', 'calendar_date'],
) }}

{#
    One row per user per calendar day of the user's spine: from the first active day to
    trailing_window_days - 1 days after the last, never past the end of the data of the
    user's type (days after the data ends are never invented). Active or not, and active
    days in the trailing 7 and 28 days (the day itself included).

    The windows change only on "change days": an active day (both windows +1), 7 days
    after it (the 7-day window -1) and 28 days after it (the 28-day window -1). The
    change days of a user are summed into running counts, and each change day's counts
    hold until the next change day: the daily rows are written out from those spans, so
    the dense series (about ten times the active days) is never sorted.

    Incremental: a run recomputes each user type's days from its latest built day minus
    var('late_arrival_lookback_days') (per user: see user_recompute_starts), reading the
    active days of the 28 days before for the windows.
#}

{# incremental: a user's windows are read from 28 days before its first day to recompute #}
{% set read_from = 'cast(' ~ dbt.dateadd('day', -28,
    'coalesce(recompute_starts.recompute_from_date, cutoffs.cutoff_date)') ~ ' as date)' %}

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

all_user_days as (
    select
        user_key,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

spine_bounds as (
    select
        user_key,
        user_type,
        first_active_date,
        spine_end_date
    from {{ ref('int_user_spines_bounded') }}
),

-- Where each user's computed days start: the first active day, or on an incremental
-- run 28 days (the longest window) before the first day to recompute. Users whose
-- spine ends before it have nothing to recompute.
read_starts as (
    select
        user_key,
        read_start_date
    from (
        select
            spine_bounds.user_key,
            spine_bounds.spine_end_date,
            {% if is_incremental() -%}
                case
                    when cutoffs.cutoff_date is null
                        then spine_bounds.first_active_date
                    when {{ read_from }} > spine_bounds.first_active_date
                        then {{ read_from }}
                    else spine_bounds.first_active_date
                end
            {%- else -%}
                spine_bounds.first_active_date
            {%- endif %} as read_start_date
        from spine_bounds
        {% if is_incremental() -%}
            left join cutoffs on spine_bounds.user_type = cutoffs.cutoff_user_type
            left join recompute_starts on spine_bounds.user_key = recompute_starts.user_key
        {%- endif %}
    ) as user_starts
    where spine_end_date >= read_start_date
),

user_days as (
    select
        all_user_days.user_key,
        all_user_days.activity_date
    from all_user_days
    inner join read_starts on all_user_days.user_key = read_starts.user_key
    where all_user_days.activity_date >= read_starts.read_start_date
),

changes as (
    select
        user_key,
        activity_date as change_date,
        1 as is_active_day,
        1 as change_7d,
        1 as change_28d
    from user_days
    union all
    select
        user_key,
        cast({{ dbt.dateadd('day', 7, 'activity_date') }} as date) as change_date,
        0 as is_active_day,
        -1 as change_7d,
        0 as change_28d
    from user_days
    union all
    select
        user_key,
        cast({{ dbt.dateadd('day', 28, 'activity_date') }} as date) as change_date,
        0 as is_active_day,
        0 as change_7d,
        -1 as change_28d
    from user_days
    union all
    -- a span starts where the computed days start, active day or not
    select
        user_key,
        read_start_date as change_date,
        0 as is_active_day,
        0 as change_7d,
        0 as change_28d
    from read_starts
),

change_days as (
    select
        changes.user_key,
        changes.change_date,
        max(changes.is_active_day) = 1 as is_active,
        sum(changes.change_7d) as change_7d,
        sum(changes.change_28d) as change_28d
    from changes
    inner join spine_bounds on changes.user_key = spine_bounds.user_key
    where changes.change_date <= spine_bounds.spine_end_date
    group by 1, 2
),

spans as (
    select
        change_days.user_key,
        change_days.change_date as span_start_date,
        change_days.is_active,
        sum(change_days.change_7d) over (
            partition by change_days.user_key order by change_days.change_date
            rows between unbounded preceding and current row
        ) as active_days_trailing_7d,
        sum(change_days.change_28d) over (
            partition by change_days.user_key order by change_days.change_date
            rows between unbounded preceding and current row
        ) as active_days_trailing_28d,
        lead(change_days.change_date) over (
            partition by change_days.user_key order by change_days.change_date
        ) as next_change_date
    from change_days
),

span_bounds as (
    select
        spans.user_key,
        spine_bounds.user_type,
        spine_bounds.first_active_date,
        spans.span_start_date,
        coalesce(
            cast({{ dbt.dateadd('day', -1, 'spans.next_change_date') }} as date),
            spine_bounds.spine_end_date
        ) as span_end_date,
        spans.is_active,
        spans.active_days_trailing_7d,
        spans.active_days_trailing_28d
    from spans
    inner join spine_bounds on spans.user_key = spine_bounds.user_key
),

day_offsets as (
    {{ dbt.generate_series(var('spine_max_days')) }}
),

windows as (
    select
        span_bounds.user_key,
        span_bounds.user_type,
        cast({{ dbt.dateadd('day', 'day_offsets.generated_number - 1',
            'span_bounds.span_start_date') }} as date) as calendar_date,
        span_bounds.is_active and day_offsets.generated_number = 1 as is_active,
        {{ dbt.datediff('span_bounds.first_active_date', 'span_bounds.span_start_date', 'day') }}
        + day_offsets.generated_number - 1 as days_since_first_active,
        cast(span_bounds.active_days_trailing_7d as integer) as active_days_trailing_7d,
        cast(span_bounds.active_days_trailing_28d as integer) as active_days_trailing_28d
    from span_bounds
    inner join day_offsets
        on
            day_offsets.generated_number - 1
            <= {{ dbt.datediff('span_bounds.span_start_date', 'span_bounds.span_end_date',
                'day') }}
),

final as (
    select windows.*
    from windows
    {{ after_user_cutoff('windows', 'calendar_date') }}
)

select * from final
