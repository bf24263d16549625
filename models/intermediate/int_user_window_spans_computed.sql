{#
    One row per user and span: a maximal run of days of the user's spine
    (int_user_spines_bounded: from the first active day to trailing_window_days - 1 days
    after the last, never past the end of the data of the user's type) over which every
    column stays the same: active or not, and active days in the trailing 7 and 28 days
    (the day itself included). fct_user_day_windows expands the spans to days;
    rpt_daily_active_users counts from them.

    The values change only on "change days": an active day (both windows +1), the day
    after it (no longer active, unless it is active too), 7 days after it (the 7-day
    window -1) and 28 days after it (the 28-day window -1). The change days of a user
    are summed into running counts, and a change day starts a span when its values
    differ from the previous change day's: the rows are about three per active day,
    whatever the length of the spine.

    Incremental: the pre-hook below deletes, of each user with days to recompute, the
    stored spans from the one that holds the day before the first day to recompute; the
    run appends the user's spans from the day after the last one kept, reading the active
    days of the trailing_window_days before it for the windows. The day a run starts on
    starts a span in the stored table too, so the spans stay maximal and the table equals
    a full refresh.
#}

{#
    Before an incremental run writes (pre-hook, in the run's transaction): per user type,
    the first day to recompute is the latest built day less
    var('late_arrival_lookback_days') (the cutoff), or for a user whose stored spine ended
    before the cutoff, the day after it. Of each user with days from there on (the spine
    in int_user_spines_bounded reaches them), the stored span that holds the day before
    and every span after it are deleted: the run writes them again from that span's start,
    a day whose values and the day before's no late event within the look-back changes.
    A user whose stored days all lie after that day is deleted whole, and computed in full.
#}
{% set delete_recomputed_spans %}{% raw %}
    {% if is_incremental() %}
        delete from {{ this }}
        where (user_key, valid_from_date) in (
            with

            cutoffs as (
                select
                    user_type,
                    {{ lookback_start('max(valid_to_date)') }} as cutoff_date
                from {{ this }}
                group by 1
            ),

            recompute_starts as (
                select
                    stored.user_key,
                    least(
                        min(cutoffs.cutoff_date),
                        cast({{ dbt.dateadd('day', 1, 'max(stored.valid_to_date)') }} as date)
                    ) as recompute_from_date
                from {{ this }} as stored
                inner join cutoffs on stored.user_type = cutoffs.user_type
                group by 1
            )

            select
                stored.user_key,
                stored.valid_from_date
            from {{ this }} as stored
            inner join recompute_starts on stored.user_key = recompute_starts.user_key
            inner join {{ ref('int_user_spines_bounded') }} as spine_bounds
                on stored.user_key = spine_bounds.user_key
            where
                spine_bounds.spine_end_date >= recompute_starts.recompute_from_date
                and stored.valid_to_date >= cast({{ dbt.dateadd('day', -1,
                    'recompute_starts.recompute_from_date') }} as date)
        )
    {% endif %}
{% endraw %}{% endset %}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook=delete_recomputed_spans,
) }}

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

-- Per user to compute: the first day written (the day after the last stored, if any;
-- its values start a span), and where reading starts: trailing_window_days before it
-- (the longest window, at least), from the first active day on. Users with no day
-- after the last stored have nothing to compute.
users_to_compute as (
    select
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
        cast({{ dbt.dateadd('day', 1, 'activity_date') }} as date) as change_date,
        0 as is_active_day,
        0 as change_7d,
        0 as change_28d
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
    -- the running counts start where reading starts, and the first day written is a
    -- change day, active or not
    select
        user_key,
        read_start_date as change_date,
        0 as is_active_day,
        0 as change_7d,
        0 as change_28d
    from users_to_compute
    union all
    select
        user_key,
        first_written_date as change_date,
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

change_day_values as (
    select
        user_key,
        change_date,
        is_active,
        sum(change_7d) over (
            partition by user_key order by change_date
            rows between unbounded preceding and current row
        ) as active_days_trailing_7d,
        sum(change_28d) over (
            partition by user_key order by change_date
            rows between unbounded preceding and current row
        ) as active_days_trailing_28d
    from change_days
),

-- From the first day written on, the values of each change day and of the one before
-- (the days before the first written only feed the running counts).
written_change_days as (
    select
        change_day_values.user_key,
        change_day_values.change_date,
        change_day_values.is_active,
        change_day_values.active_days_trailing_7d,
        change_day_values.active_days_trailing_28d,
        lag(change_day_values.is_active) over (
            partition by change_day_values.user_key order by change_day_values.change_date
        ) as previous_is_active,
        lag(change_day_values.active_days_trailing_7d) over (
            partition by change_day_values.user_key order by change_day_values.change_date
        ) as previous_trailing_7d,
        lag(change_day_values.active_days_trailing_28d) over (
            partition by change_day_values.user_key order by change_day_values.change_date
        ) as previous_trailing_28d
    from change_day_values
    inner join users_to_compute
        on change_day_values.user_key = users_to_compute.user_key
    where change_day_values.change_date >= users_to_compute.first_written_date
),

-- A span starts on the first day written and on every change day that changes a value.
span_starts as (
    select
        user_key,
        change_date,
        is_active,
        active_days_trailing_7d,
        active_days_trailing_28d
    from written_change_days
    where
        previous_is_active is null
        or is_active <> previous_is_active
        or active_days_trailing_7d <> previous_trailing_7d
        or active_days_trailing_28d <> previous_trailing_28d
),

spans as (
    select
        span_starts.user_key,
        users_to_compute.user_type,
        users_to_compute.first_active_date,
        span_starts.change_date as valid_from_date,
        coalesce(
            cast({{ dbt.dateadd('day', -1, 'lead(span_starts.change_date) over (
                partition by span_starts.user_key order by span_starts.change_date
            )') }} as date),
            users_to_compute.spine_end_date
        ) as valid_to_date,
        span_starts.is_active,
        cast(span_starts.active_days_trailing_7d as integer) as active_days_trailing_7d,
        cast(span_starts.active_days_trailing_28d as integer) as active_days_trailing_28d
    from span_starts
    inner join users_to_compute on span_starts.user_key = users_to_compute.user_key
)

select * from spans
