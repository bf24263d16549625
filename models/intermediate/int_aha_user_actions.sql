{{ config(materialized='table') }}

{#
    One row per user, candidate action and early window d (1..aha_max_window_days
    days: days 0..d-1, day 0 being the user's first active day, see int_aha_users): how
    many times the user did the action within the window. Actions: each
    page of the web tool (web-tool users), logging in (accounts), viewing shared content
    and receiving a share (clients). Users who never did an action have no row for it.
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
        {{ dbt.concat(["'client:'", 'customer_code', "':'", 'client_id']) }} as user_key,
        'client' as user_type,
        shared_date as activity_date,
        'receive_share' as action
    from {{ ref('fct_shares') }}
    where not is_exact_duplicate
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
    from {{ ref('int_aha_users') }}
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

windows as (
    {{ dbt.generate_series(var('aha_max_window_days')) }}
),

cumulative as (
    select
        daily_actions.user_key,
        daily_actions.action,
        windows.generated_number as window_days,
        sum(daily_actions.times) as times
    from daily_actions
    inner join windows on daily_actions.day_number < windows.generated_number
    group by 1, 2, 3
)

select * from cumulative
