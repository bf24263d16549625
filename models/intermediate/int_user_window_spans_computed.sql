{#
    One row per user and span: a maximal run of days of the user's spine
    (int_user_spines_bounded: from the first active day to trailing_window_days - 1 days
    after the last, never past the end of the data of the user's type) over which every
    column stays the same: active or not, and active days in the trailing 7 and 28 days
    (the day itself included). fct_user_day_windows expands the spans to days;
    rpt_daily_active_users counts from them.

    The values change only on "change days": an active day (both windows +1), the day
    after it (no longer active, unless it is active too), 7 days after it (the 7-day
    window -1) and 28 days after it (the 28-day window -1). A change day starts a span
    when its values differ from the day before's, which needs no look at the previous
    row: its net changes are not 0, or it is active unlike the day before. The span
    starts of a user are then summed into running counts, and each span ends the day
    before the next start, in one window pass partitioned by a dense user number: the
    rows are about three per active day, whatever the length of the spine.

    Incremental: the pre-hook below deletes the stored spans from the one that holds the
    day before the first day to recompute; the run appends each user's spans from the
    day after the last one kept, reading the active days of the trailing_window_days
    before it for the windows. The day a run starts on starts a span in the stored table
    too, so the spans stay maximal and the table equals a full refresh.
#}

{#
    Before an incremental run writes (pre-hook, in the run's transaction): per user type,
    the first day to recompute is the latest built day less
    var('late_arrival_lookback_days') (the cutoff). Every stored span that holds the day
    before the cutoff or a later day is deleted: the run writes the user's days again from
    that span's start, a day whose values and the day before's no late event within the
    look-back changes. The spans of a user whose spine ended earlier are all kept: if the
    user is active again, the run appends from the day after the spine's old end, which
    starts a span in a full refresh too (the 28-day count drops to 0 there, or the user is
    active and the 7-day count rises from 0). One plain delete with a correlated scalar
    subquery, no row-value IN: portable to Spark (Delta) and the warehouses.
#}
{% set delete_recomputed_spans %}{% raw %}
    {% if is_incremental() %}
        delete from {{ this }} as stored
        where stored.valid_to_date >= (
            select
                cast({{ dbt.dateadd('day', -1, lookback_start('max(latest.valid_to_date)')) }}
                    as date)
            from {{ this }} as latest
            where latest.user_type = stored.user_type
        )
    {% endif %}
{% endraw %}{% endset %}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook=delete_recomputed_spans,
    full_refresh=(true if target.type == 'spark' else none),
) }}

{# On Spark the pre-hook's delete needs Delta: the table is rebuilt whole there. #}

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
    -- Per user already built, the last day stored (the pre-hook has deleted the spans
    -- to recompute).
    stored_ends as (
        select
            user_key,
            max(valid_to_date) as stored_end_date
        from {{ this }}
        group by 1
    ),
{%- endif %}

-- Per user to compute: a dense number (the windows below partition and sort by it, far
-- cheaper than by the text key), the first day written (the day after the last stored,
-- if any; it starts a span), and where reading starts: trailing_window_days before it
-- (the longest window, at least), from the first active day on. Users with no day after
-- the last stored have nothing to compute.
users_to_compute as (
    select
        row_number() over (order by spine_bounds.user_key) as user_number,
        spine_bounds.user_key,
        spine_bounds.user_type,
        spine_bounds.first_active_date,
        spine_bounds.spine_end_date,
        {%- if is_incremental() %}
            coalesce(
                cast({{ dbt.dateadd('day', 1, 'stored_ends.stored_end_date') }} as date),
                spine_bounds.first_active_date
            ) as first_written_date,
            coalesce(
                greatest(
                    spine_bounds.first_active_date,
                    cast({{ dbt.dateadd('day', 1 - var('trailing_window_days'),
                        'stored_ends.stored_end_date') }} as date)
                ),
                spine_bounds.first_active_date
            ) as read_start_date
        {%- else %}
            spine_bounds.first_active_date as first_written_date,
            spine_bounds.first_active_date as read_start_date
        {%- endif %}
    from spine_bounds
    {%- if is_incremental() %}
    left join stored_ends on spine_bounds.user_key = stored_ends.user_key
    where
        stored_ends.stored_end_date is null
        or spine_bounds.spine_end_date > stored_ends.stored_end_date
    {%- endif %}
),

active_days as (
    select
        users_to_compute.user_number,
        users_to_compute.spine_end_date,
        user_days.activity_date
    from user_days
    inner join users_to_compute on user_days.user_key = users_to_compute.user_key
    where user_days.activity_date >= users_to_compute.read_start_date
),

-- What each active day changes, on the spine: on the day itself it is active and both
-- windows count one more; the day after follows an active day; 7 and 28 days later it
-- leaves the 7-day and the 28-day window. The first day written starts a span.
changes as (
    select
        user_number,
        activity_date as change_date,
        1 as is_active_day,
        0 as follows_active_day,
        1 as change_7d,
        1 as change_28d,
        0 as starts_span
    from active_days
    union all
    select
        user_number,
        cast({{ dbt.dateadd('day', 1, 'activity_date') }} as date) as change_date,
        0 as is_active_day,
        1 as follows_active_day,
        0 as change_7d,
        0 as change_28d,
        0 as starts_span
    from active_days
    where {{ dbt.dateadd('day', 1, 'activity_date') }} <= spine_end_date
    union all
    select
        user_number,
        cast({{ dbt.dateadd('day', short_window_days, 'activity_date') }} as date)
            as change_date,
        0 as is_active_day,
        0 as follows_active_day,
        -1 as change_7d,
        0 as change_28d,
        0 as starts_span
    from active_days
    where {{ dbt.dateadd('day', short_window_days, 'activity_date') }} <= spine_end_date
    union all
    select
        user_number,
        cast({{ dbt.dateadd('day', long_window_days, 'activity_date') }} as date)
            as change_date,
        0 as is_active_day,
        0 as follows_active_day,
        0 as change_7d,
        -1 as change_28d,
        0 as starts_span
    from active_days
    where {{ dbt.dateadd('day', long_window_days, 'activity_date') }} <= spine_end_date
    union all
    select
        user_number,
        first_written_date as change_date,
        0 as is_active_day,
        0 as follows_active_day,
        0 as change_7d,
        0 as change_28d,
        1 as starts_span
    from users_to_compute
),

-- One row per change day: only these days can differ from the day before.
change_days as (
    select
        user_number,
        change_date,
        max(is_active_day) as is_active_day,
        max(follows_active_day) as follows_active_day,
        cast(sum(change_7d) as integer) as change_7d,
        cast(sum(change_28d) as integer) as change_28d,
        max(starts_span) as starts_span
    from changes
    group by 1, 2
),

-- The change days that start a span: the change day before is the day before exactly
-- when that day is active (an active day makes the next day a change day), so "active
-- unlike the change day before" is "active unlike the day before"; and a count differs
-- from the change day before's when the day's net change is not 0. The other change days
-- change nothing (their net changes are 0) and are left out, so the running sums below
-- need no other row. On an incremental run, the change days read before the first day
-- written are kept too (only for the running sums; they are not written).
span_starts as (
    select
        user_number,
        change_date,
        is_active_day,
        change_7d,
        change_28d
    from change_days
    where
        starts_span = 1
        or is_active_day <> follows_active_day
        or change_7d <> 0
        or change_28d <> 0
),

-- One pass over each user's span starts: the running counts and the next start.
span_values as (
    select
        user_number,
        change_date,
        is_active_day,
        sum(change_7d) over (
            partition by user_number order by change_date
            rows between unbounded preceding and current row
        ) as active_days_trailing_7d,
        sum(change_28d) over (
            partition by user_number order by change_date
            rows between unbounded preceding and current row
        ) as active_days_trailing_28d,
        lead(change_date) over (
            partition by user_number order by change_date
        ) as next_start_date
    from span_starts
),

spans as (
    select
        users_to_compute.user_key,
        users_to_compute.user_type,
        users_to_compute.first_active_date,
        span_values.change_date as valid_from_date,
        coalesce(
            cast({{ dbt.dateadd('day', -1, 'span_values.next_start_date') }} as date),
            users_to_compute.spine_end_date
        ) as valid_to_date,
        span_values.is_active_day = 1 as is_active,
        cast(span_values.active_days_trailing_7d as integer) as active_days_trailing_7d,
        cast(span_values.active_days_trailing_28d as integer) as active_days_trailing_28d
    from span_values
    inner join users_to_compute on span_values.user_number = users_to_compute.user_number
    where span_values.change_date >= users_to_compute.first_written_date
)

select * from spans
