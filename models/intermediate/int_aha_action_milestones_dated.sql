{#
    One row per user, candidate action and count k (1..aha_max_threshold): the day
    (day_number, 0 being the user's first active day, see int_aha_users_labelled) on which the
    user did the action for the k-th time, when that was within the first
    aha_max_window_days days. A user "did the action at least k times within d days"
    when day_number < d. Actions: each page of the web tool (web-tool users), logging in
    (accounts), viewing shared content and receiving a share (clients). No row: the
    user never reached k within the window, or is in the burn-in (int_aha_users_labelled).
#}

with

events as (
    select
        user_key,
        user_type,
        activity_date,
        case event_source
            when 'page_event' then {{ dbt.concat(["'page:'", 'item']) }}
            when 'login' then 'login'
            when 'view' then 'view_content'
        end as action
    from {{ ref('int_activity_events_unioned') }}
),

received_shares as (
    select
        {{ user_key("'client'", 'customer_code', 'client_id') }} as user_key,
        'client' as user_type,
        shared_date as activity_date,
        'receive_share' as action
    from {{ ref('int_shares_deduplicated') }}
),

actions as (
    select * from events
    union all
    select * from received_shares
),

users as (
    select
        user_key,
        first_active_date
    from {{ ref('int_aha_users_labelled') }}
    where not is_in_burn_in
),

daily_actions as (
    select
        actions.user_key,
        actions.action,
        {{ dbt.datediff('users.first_active_date', 'actions.activity_date', 'day') }}
            as day_number,
        count(*) as times
    from actions
    inner join users on actions.user_key = users.user_key
    where
        actions.activity_date >= users.first_active_date
        and actions.activity_date
        < {{ dbt.dateadd('day', var('aha_max_window_days'), 'users.first_active_date') }}
    group by 1, 2, 3
),

running_counts as (
    select
        user_key,
        action,
        day_number,
        times,
        sum(times) over (
            partition by user_key, action
            order by day_number
            rows between unbounded preceding and current row
        ) as times_to_date
    from daily_actions
),

thresholds as (
    {{ dbt.generate_series(var('aha_max_threshold')) }}
),

{# the day a count k is reached: the first day whose running count reaches k #}
milestones as (
    select
        running_counts.user_key,
        running_counts.action,
        thresholds.generated_number as threshold,
        running_counts.day_number
    from running_counts
    inner join thresholds
        on
            running_counts.times_to_date - running_counts.times < thresholds.generated_number
            and running_counts.times_to_date >= thresholds.generated_number
)

select * from milestones
