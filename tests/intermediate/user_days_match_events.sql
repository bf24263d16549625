{{ config(severity='warn') }}

-- Every event is counted in the user-day facts: each user type and day has as many
-- events in int_user_days_aggregated as in the events it is built from. An incremental
-- run recomputes only the days within var('late_arrival_lookback_days') of the latest
-- built day, so events that land later than that are reported here (a warning: the
-- facts are stale for those days until `dbt build --full-refresh`).
with

events as (
    select
        user_type,
        activity_date,
        count(*) as event_count
    from {{ ref('int_activity_events_unioned') }}
    group by 1, 2
),

user_days as (
    select
        user_type,
        activity_date,
        sum(login_count + page_event_count + view_count) as event_count
    from {{ ref('int_user_days_aggregated') }}
    group by 1, 2
)

select
    coalesce(events.user_type, user_days.user_type) as user_type,
    coalesce(events.activity_date, user_days.activity_date) as activity_date,
    coalesce(events.event_count, 0) as events_landed,
    coalesce(user_days.event_count, 0) as events_in_user_days
from events
full outer join user_days
    on
        events.user_type = user_days.user_type
        and events.activity_date = user_days.activity_date
where coalesce(events.event_count, 0) <> coalesce(user_days.event_count, 0)
