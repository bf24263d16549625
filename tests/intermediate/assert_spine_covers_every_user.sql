-- Every user's spine holds each day from the first active day to its end without a gap:
-- fails for a user whose span exceeds var spine_max_days or whose days are missing.
with

spans as (
    select
        user_key,
        count(*) as spine_days,
        min(calendar_date) as first_date,
        max(calendar_date) as last_date
    from {{ ref('int_user_day_spine') }}
    group by 1
),

user_days as (
    select
        user_key,
        max(activity_date) as last_active_date
    from {{ ref('int_user_days_aggregated') }}
    group by 1
)

select
    spans.user_key,
    spans.spine_days,
    spans.first_date,
    spans.last_date,
    user_days.last_active_date
from spans
inner join user_days on spans.user_key = user_days.user_key
where
    spans.spine_days <> {{ dbt.datediff('spans.first_date', 'spans.last_date', 'day') }} + 1
    or spans.last_date < user_days.last_active_date
