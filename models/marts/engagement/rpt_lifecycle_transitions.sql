{{ config(
    materialized='incremental',
    incremental_strategy='delete_keys_insert',
    unique_key=['user_type', 'week_start_date'],
) }}

{#
    One row per user type, week and pair of lifecycle states: how many users moved from
    one state in the week before to another in this week. A user quiet beyond the week
    after going dormant is 'inactive' here.

    Incremental (delete+insert by user type and week): a run recounts each user type's
    weeks from the week of its latest counted week less var('late_arrival_lookback_days')
    (the weeks int_user_weeks_aggregated recomputes for everyone), and every earlier
    week whose number of users with a week before is not the number counted (an earlier
    week gains rows when int_user_weeks_aggregated fills in the quiet weeks of a user
    back after a long absence; its other rows do not change).
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

{% if is_incremental() -%}
    -- Per user type already counted, the first week every user is recounted from.
    cutoffs as (
        select
            user_type,
            {{ week_start(lookback_start('max(week_start_date)')) }} as cutoff_date
        from {{ this }}
        group by 1
    ),

    -- Per earlier week, the users with a week before it: all but those in their first
    -- week (state 'new').
    earlier_week_users as (
        select
            user_weeks.user_type,
            user_weeks.week_start_date,
            count(case when user_weeks.lifecycle_state != 'new' then 1 end) as moving_users
        from user_weeks
        inner join cutoffs on user_weeks.user_type = cutoffs.user_type
        where user_weeks.week_start_date < cutoffs.cutoff_date
        group by 1, 2
    ),

    counted_week_users as (
        select
            user_type,
            week_start_date,
            sum(user_count) as counted_users
        from {{ this }}
        group by 1, 2
    ),

    -- The weeks to recount: from the cutoff, the earlier weeks that gained users, and
    -- every week of a user type not counted yet.
    weeks_to_count as (
        select
            earlier_week_users.user_type,
            earlier_week_users.week_start_date
        from earlier_week_users
        left join counted_week_users
            on
                earlier_week_users.user_type = counted_week_users.user_type
                and earlier_week_users.week_start_date = counted_week_users.week_start_date
        where earlier_week_users.moving_users != coalesce(counted_week_users.counted_users, 0)
        union all
        select distinct
            user_weeks.user_type,
            user_weeks.week_start_date
        from user_weeks
        left join cutoffs on user_weeks.user_type = cutoffs.user_type
        where cutoffs.cutoff_date is null or user_weeks.week_start_date >= cutoffs.cutoff_date
    ),

    -- Those weeks and the week before each (for the state the week before).
    weeks_to_read as (
        select
            user_type,
            week_start_date
        from weeks_to_count
        union
        select
            user_type,
            cast({{ dbt.dateadd('day', -7, 'week_start_date') }} as date) as week_start_date
        from weeks_to_count
    ),
{%- endif %}

-- The user-weeks of the weeks to count and of the week before each (all of them on a
-- full build).
read_weeks as (
    select user_weeks.*
    from user_weeks
    {%- if is_incremental() %}
    inner join weeks_to_read
        on
            user_weeks.user_type = weeks_to_read.user_type
            and user_weeks.week_start_date = weeks_to_read.week_start_date
    {%- endif %}
),

-- Each user-week with the user's state the week before: a user's weeks run without a
-- gap from its first week, so the previous row read is that week (none for the first).
moves as (
    select
        user_type,
        week_start_date,
        lag(lifecycle_state) over (
            partition by user_key order by week_start_date
        ) as from_state,
        lifecycle_state as to_state
    from read_weeks
),

counted as (
    select
        moves.user_type,
        moves.week_start_date,
        moves.from_state,
        moves.to_state,
        count(*) as user_count
    from moves
    {%- if is_incremental() %}
    inner join weeks_to_count
        on
            moves.user_type = weeks_to_count.user_type
            and moves.week_start_date = weeks_to_count.week_start_date
    {%- endif %}
    where moves.from_state is not null
    group by 1, 2, 3, 4
)

select * from counted
