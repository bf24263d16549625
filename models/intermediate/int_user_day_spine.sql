{{ config(materialized='table') }}

{#
    One row per user per calendar day from the user's first active day to
    trailing_window_days - 1 days after the last (never past the end of the data of the
    user's type): the dense series that trailing windows and weekly facts need. Days
    after the data ends are never invented.
#}

with

user_days as (
    select
        user_key,
        user_type,
        user_id,
        customer_code,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

data_ends as (
    select
        user_type,
        data_end_date
    from {{ ref('int_user_type_data_ends') }}
),

user_bounds as (
    select
        user_days.user_key,
        user_days.user_type,
        user_days.user_id,
        user_days.customer_code,
        min(user_days.activity_date) as first_active_date,
        max(user_days.activity_date) as last_active_date,
        min(data_ends.data_end_date) as data_end_date
    from user_days
    inner join data_ends on user_days.user_type = data_ends.user_type
    group by 1, 2, 3, 4
),

window_ends as (
    select
        *,
        cast(
            {{ dbt.dateadd('day', var('trailing_window_days') - 1, 'last_active_date') }} as date
        ) as window_end_date
    from user_bounds
),

spine_bounds as (
    select
        *,
        least(window_end_date, data_end_date) as spine_end_date
    from window_ends
),

day_offsets as (
    {{ dbt.generate_series(var('spine_max_days')) }}
),

spine as (
    select
        spine_bounds.user_key,
        spine_bounds.user_type,
        spine_bounds.user_id,
        spine_bounds.customer_code,
        spine_bounds.first_active_date,
        spine_bounds.data_end_date,
        cast({{ dbt.dateadd('day', 'day_offsets.generated_number - 1',
            'spine_bounds.first_active_date') }} as date) as calendar_date
    from spine_bounds
    inner join day_offsets
        on
            day_offsets.generated_number - 1
            <= {{ dbt.datediff('spine_bounds.first_active_date', 'spine_bounds.spine_end_date',
                'day') }}
),

flagged as (
    select
        spine.*,
        user_days.activity_date is not null as is_active
    from spine
    left join user_days
        on
            spine.user_key = user_days.user_key
            and spine.calendar_date = user_days.activity_date
)

select * from flagged
