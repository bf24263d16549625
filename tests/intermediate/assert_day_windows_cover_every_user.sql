-- Every user's days in int_user_day_windows_computed (the spine, stored; published as
-- fct_user_day_windows) run from the first active day without a gap and reach at least
-- the last active day. With the uniqueness of (user_key, calendar_date), "as many days
-- as the span is long" means no gap; grouping instead of ranking keeps the check cheap
-- on the largest table. Fails for a user whose days went missing, or whose span exceeds
-- var spine_max_days.
-- Without --full-refresh only the users whose days an incremental build may have
-- recomputed are checked: those active within late_arrival_lookback_days +
-- trailing_window_days of the end of their type's data.

-- depends_on: {{ ref('int_user_type_data_ends_computed') }}

with

all_user_days as (
    select
        user_key,
        user_type,
        min(activity_date) as first_active_date,
        max(activity_date) as last_active_date
    from {{ ref('int_user_days_aggregated') }}
    group by 1, 2
),

user_days as (
    select all_user_days.*
    from all_user_days
    {%- if not flags.FULL_REFRESH %}
    inner join {{ ref('int_user_type_data_ends_computed') }} as data_ends
        on all_user_days.user_type = data_ends.user_type
    where all_user_days.last_active_date >= {{ dbt.dateadd('day',
            -(var('late_arrival_lookback_days') + var('trailing_window_days')),
            'data_ends.data_end_date') }}
    {%- endif %}
),

window_days as (
    select
        user_key,
        min(calendar_date) as first_date,
        max(calendar_date) as last_date,
        count(*) as day_count
    from {{ ref('int_user_day_windows_computed') }}
    where user_key in (select user_days.user_key from user_days)
    group by 1
),

checked as (
    select
        user_days.user_key,
        user_days.first_active_date,
        user_days.last_active_date,
        window_days.first_date,
        window_days.last_date,
        window_days.day_count,
        case
            when window_days.user_key is null
                then 'no days'
            when window_days.first_date <> user_days.first_active_date
                then 'does not start on the first active day'
            when window_days.last_date < user_days.last_active_date
                then 'ends before the last active day'
            when window_days.day_count <> {{ dbt.datediff(
                'window_days.first_date', 'window_days.last_date', 'day') }} + 1
                then 'gap in the days'
        end as failure
    from user_days
    left join window_days on user_days.user_key = window_days.user_key
)

select * from checked
where failure is not null
