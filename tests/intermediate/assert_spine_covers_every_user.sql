-- Every user's spine holds each day from the first active day to its end, without a
-- gap, and reaches at least the last active day: fails for a user whose span exceeds
-- var spine_max_days or whose days went missing.
with

spine as (
    select
        user_key,
        calendar_date,
        lag(calendar_date) over (
            partition by user_key order by calendar_date
        ) as previous_date
    from {{ ref('int_user_day_spine') }}
),

gaps as (
    select
        user_key,
        calendar_date as failing_date,
        'gap in the spine' as failure
    from spine
    where
        previous_date is not null
        and calendar_date <> cast({{ dbt.dateadd('day', 1, 'previous_date') }} as date)
),

spine_ends as (
    select
        user_key,
        max(calendar_date) as last_date
    from spine
    group by 1
),

user_days as (
    select
        user_key,
        max(activity_date) as last_active_date
    from {{ ref('int_user_days_aggregated') }}
    group by 1
),

short_spines as (
    select
        user_days.user_key,
        user_days.last_active_date as failing_date,
        'spine ends before the last active day' as failure
    from user_days
    left join spine_ends on user_days.user_key = spine_ends.user_key
    where spine_ends.last_date is null or spine_ends.last_date < user_days.last_active_date
)

select * from gaps
union all
select * from short_spines
