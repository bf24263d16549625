{#
    One row per user type, week and number of active days (1 to 7): how many users were
    active on that many days of the week, and their share of the week's active users.
    The distribution behind "days active per week".
#}

with

user_weeks as (
    select
        user_type,
        week_start_date,
        active_days,
        is_complete_week
    from {{ ref('int_user_weeks_aggregated') }}
    where is_active
),

counted as (
    select
        user_type,
        week_start_date,
        active_days,
        min(case when is_complete_week then 1 else 0 end) = 1 as is_complete_week,
        count(*) as user_count
    from user_weeks
    group by 1, 2, 3
),

final as (
    select
        *,
        cast(user_count as double)
        / sum(user_count) over (partition by user_type, week_start_date) as share_of_active_users
    from counted
)

select * from final
