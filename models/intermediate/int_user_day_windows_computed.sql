{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_key', 'calendar_date'],
) }}

{#
    One row per user per calendar day of the user's spine (int_user_spines_bounded):
    from the first active day to trailing_window_days - 1 days after the last, never
    past the end of the data of the user's type (days after the data ends are never
    invented). Active or not, and active days in the trailing 7 and 28 days (the day
    itself included).

    The windows change only on "change days": an active day (both windows +1), 7 days
    after it (the 7-day window -1) and 28 days after it (the 28-day window -1). The
    change days of a user are summed into running counts, and each change day's counts
    hold until the next change day: the daily rows are written out from those spans, so
    the dense series (about ten times the active days) is never sorted.

    Incremental: a run recomputes each user type's days from its latest built day less
    var('late_arrival_lookback_days') (earlier for a user who came back after a long
    absence), reading the active days of the trailing_window_days before for the windows.
#}

{# The two windows, as the column names say; the spine's tail must hold the longer. #}
{% set short_window_days = 7 %}
{% set long_window_days = 28 %}
{% if var('trailing_window_days') < long_window_days %}
    {{ exceptions.raise_compiler_error(
        "var trailing_window_days must be at least " ~ long_window_days
        ~ " for the " ~ long_window_days ~ "-day windows") }}
{% endif %}

with

user_days as (
    select
        user_key,
        user_type,
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

{% if is_incremental() -%}
    -- Per user type already built, the first day to recompute.
    cutoffs as (
        select
            user_type,
            {{ lookback_start('max(calendar_date)') }} as cutoff_date
        from {{ this }}
        group by 1
    ),

    -- Per user active before the cutoff: the day after the spine built for the user
    -- ended (trailing_window_days - 1 days after the last active day before the cutoff).
    built_spine_ends as (
        select
            user_days.user_key,
            cutoffs.cutoff_date,
            cast({{ dbt.dateadd('day', var('trailing_window_days'),
                'max(user_days.activity_date)') }} as date) as after_spine_date
        from user_days
        inner join cutoffs on user_days.user_type = cutoffs.user_type
        where user_days.activity_date < cutoffs.cutoff_date
        group by 1, 2
    ),

    -- Their first day to recompute: the cutoff, or the day after the old spine, if
    -- earlier (a user back after a longer absence has quiet days to fill in). Other
    -- users start on or after the cutoff and are computed in full.
    recompute_starts as (
        select
            user_key,
            least(cutoff_date, after_spine_date) as recompute_from_date
        from built_spine_ends
    ),
{%- endif %}

-- Where each user's computed days start: the first active day, or on an incremental
-- run trailing_window_days (the longest window, at least) before the first day to
-- recompute. Users whose spine ends before it have nothing to recompute.
read_starts as (
    select
        spine_bounds.user_key,
        spine_bounds.user_type,
        spine_bounds.first_active_date,
        spine_bounds.spine_end_date,
        {%- if is_incremental() %}
            case
                when recompute_starts.recompute_from_date is null
                    then spine_bounds.first_active_date
                else
                    greatest(
                        spine_bounds.first_active_date,
                        cast({{ dbt.dateadd('day', -var('trailing_window_days'),
                            'recompute_starts.recompute_from_date') }} as date)
                    )
            end as read_start_date
        {%- else %}
            spine_bounds.first_active_date as read_start_date
        {%- endif %}
    from spine_bounds
    {%- if is_incremental() %}
    left join recompute_starts on spine_bounds.user_key = recompute_starts.user_key
    {%- endif %}
),

users_to_compute as (
    select *
    from read_starts
    where spine_end_date >= read_start_date
),

active_days as (
    select
        user_days.user_key,
        user_days.activity_date
    from user_days
    inner join users_to_compute on user_days.user_key = users_to_compute.user_key
    where user_days.activity_date >= users_to_compute.read_start_date
),

changes as (
    select
        user_key,
        activity_date as change_date,
        1 as is_active_day,
        1 as change_7d,
        1 as change_28d
    from active_days
    union all
    select
        user_key,
        cast({{ dbt.dateadd('day', short_window_days, 'activity_date') }} as date)
            as change_date,
        0 as is_active_day,
        -1 as change_7d,
        0 as change_28d
    from active_days
    union all
    select
        user_key,
        cast({{ dbt.dateadd('day', long_window_days, 'activity_date') }} as date)
            as change_date,
        0 as is_active_day,
        0 as change_7d,
        -1 as change_28d
    from active_days
    union all
    -- a span starts where the computed days start, active day or not
    select
        user_key,
        read_start_date as change_date,
        0 as is_active_day,
        0 as change_7d,
        0 as change_28d
    from users_to_compute
),

change_days as (
    select
        changes.user_key,
        changes.change_date,
        max(changes.is_active_day) = 1 as is_active,
        sum(changes.change_7d) as change_7d,
        sum(changes.change_28d) as change_28d
    from changes
    inner join users_to_compute on changes.user_key = users_to_compute.user_key
    where changes.change_date <= users_to_compute.spine_end_date
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
        users_to_compute.user_type,
        users_to_compute.first_active_date,
        spans.span_start_date,
        coalesce(
            cast({{ dbt.dateadd('day', -1, 'spans.next_change_date') }} as date),
            users_to_compute.spine_end_date
        ) as span_end_date,
        spans.is_active,
        spans.active_days_trailing_7d,
        spans.active_days_trailing_28d
    from spans
    inner join users_to_compute on spans.user_key = users_to_compute.user_key
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

-- The days to store: on an incremental run, from each recomputed user's first day to
-- recompute (the days before only fed its windows).
final as (
    select windows.*
    from windows
    {%- if is_incremental() %}
    left join recompute_starts on windows.user_key = recompute_starts.user_key
    where
        recompute_starts.recompute_from_date is null
        or windows.calendar_date >= recompute_starts.recompute_from_date
    {%- endif %}
)

select * from final
