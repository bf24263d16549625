{#
    One row per user of every type: the user's spine, the days the daily and weekly
    facts cover, from the first active day to trailing_window_days - 1 days after the
    last (never past the end of the data of the user's type). Read by
    int_user_window_spans_computed and int_user_weeks_aggregated, so the user days are
    grouped once per run.
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
    from {{ ref('int_user_type_data_ends_computed') }}
),

bounds as (
    select
        user_days.user_key,
        user_days.user_type,
        min(user_days.activity_date) as first_active_date,
        max(user_days.activity_date) as last_active_date,
        least(
            cast({{ dbt.dateadd('day', var('trailing_window_days') - 1,
                'max(user_days.activity_date)') }} as date),
            min(data_ends.data_end_date)
        ) as spine_end_date
    from user_days
    inner join data_ends on user_days.user_type = data_ends.user_type
    group by 1, 2
)

select * from bounds
