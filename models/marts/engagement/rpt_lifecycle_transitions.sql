{#
    One row per user type, week and pair of lifecycle states: how many users moved from
    one state in the week before to another in this week. A user quiet beyond the week
    after going dormant is 'inactive' here.
#}

with

user_weeks as (
    select
        user_key,
        user_type,
        week_start_date,
        coalesce(lifecycle_state, 'inactive') as lifecycle_state
    from {{ ref('int_user_weeks_aggregated') }}
),

moves as (
    select
        user_type,
        week_start_date,
        lag(lifecycle_state) over (
            partition by user_key order by week_start_date
        ) as from_state,
        lifecycle_state as to_state
    from user_weeks
),

counted as (
    select
        user_type,
        week_start_date,
        from_state,
        to_state,
        count(*) as user_count
    from moves
    where from_state is not null
    group by 1, 2, 3, 4
)

select * from counted
