{#
    One row per user per week of the user's spine (weeks start on var week_start_day):
    active days in the week and the user's lifecycle state that week.
      new           first active week
      returning     active, and active the week before
      resurrecting  active, not active the week before, active some week earlier
      dormant       not active, active the week before
    Later quiet weeks have no state (null). is_complete_week is false for a week the
    data does not yet cover in full.
#}

with

spine as (
    select
        user_key,
        user_type,
        calendar_date,
        data_end_date,
        is_active
    from {{ ref('int_user_day_spine') }}
),

weeks as (
    select
        user_key,
        user_type,
        {{ week_start('calendar_date') }} as week_start_date,
        min(data_end_date) as data_end_date,
        cast(sum(case when is_active then 1 else 0 end) as integer) as active_days
    from spine
    group by 1, 2, 3
),

with_previous as (
    select
        *,
        lag(active_days) over (
            partition by user_key order by week_start_date
        ) as previous_week_active_days,
        row_number() over (
            partition by user_key order by week_start_date
        ) as week_number
    from weeks
),

states as (
    select
        user_key,
        user_type,
        week_start_date,
        active_days,
        active_days > 0 as is_active,
        {{ dbt.dateadd('day', 6, 'week_start_date') }} <= data_end_date as is_complete_week,
        case
            when week_number = 1 then 'new'
            when active_days > 0 and previous_week_active_days > 0 then 'returning'
            when active_days > 0 then 'resurrecting'
            when previous_week_active_days > 0 then 'dormant'
        end as lifecycle_state
    from with_previous
)

select
    user_key,
    user_type,
    week_start_date,
    active_days,
    is_active,
    cast(is_complete_week as boolean) as is_complete_week,
    lifecycle_state
from states
