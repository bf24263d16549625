{{ config(materialized='view') }}

{#
    One row per user per calendar day from the user's first active day to
    trailing_window_days - 1 days after the last (never past the end of the data of the
    user's type): the dense series that trailing windows and weekly facts need. Days
    after the data ends are never invented.

    Each active day spans the quiet days up to the user's next active day (the last one:
    up to the spine's end), so the series comes from the user days alone, without
    joining ten times their number of calendar days back to them. A view: the series is
    about ten times the user days, and its two readers (fct_user_day_windows,
    fct_user_weeks) keep only what they compute, so it is never stored.
#}

with

user_days as (
    select
        user_key,
        user_type,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

data_ends as (
    select
        user_type,
        data_end_date
    from {{ ref('int_user_type_data_ends') }}
),

active_spans as (
    select
        user_days.user_key,
        user_days.user_type,
        user_days.activity_date,
        min(user_days.activity_date) over (partition by user_days.user_key)
            as first_active_date,
        coalesce(
            cast({{ dbt.dateadd('day', -1, 'lead(user_days.activity_date) over (
                partition by user_days.user_key order by user_days.activity_date)') }} as date),
            least(
                cast({{ dbt.dateadd('day', var('trailing_window_days') - 1,
                    'user_days.activity_date') }} as date),
                data_ends.data_end_date
            )
        ) as span_end_date
    from user_days
    inner join data_ends on user_days.user_type = data_ends.user_type
),

day_offsets as (
    {{ dbt.generate_series(var('spine_max_days')) }}
),

spine as (
    select
        active_spans.user_key,
        active_spans.user_type,
        active_spans.first_active_date,
        cast({{ dbt.dateadd('day', 'day_offsets.generated_number - 1',
            'active_spans.activity_date') }} as date) as calendar_date,
        day_offsets.generated_number = 1 as is_active
    from active_spans
    inner join day_offsets
        on
            day_offsets.generated_number - 1
            <= {{ dbt.datediff('active_spans.activity_date', 'active_spans.span_end_date',
                'day') }}
)

select * from spine
