{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_type', 'calendar_date'],
) }}

{#
    One row per user type and calendar day: DAU (active that day), WAU (active in the
    trailing 7 days), MAU (active in the trailing 28 days) and DAU/MAU, the share of the
    month's users who came that day. A day is reported when the spine of at least one
    user of the type covers it.

    Counted from the spans of int_user_window_spans_computed without expanding them: a
    span adds +1 to its counts on its first day and -1 on the day after its last; the
    running sums of those changes per user type hold from one change day to the next,
    so only the reported days are written out. Incremental: a run recomputes each user
    type's days from its latest built day less var('late_arrival_lookback_days'),
    from the spans that reach that day (cut to start on it).
#}

with

{% if is_incremental() -%}
    -- Per user type already built, the first day to recompute.
    cutoffs as (
        select
            user_type,
            {{ lookback_start('max(calendar_date)') }} as cutoff_date
        from {{ this }}
        group by 1
    ),
{%- endif %}

window_spans as (
    select
        spans.user_type,
        {%- if is_incremental() %}
            case
                when spans.valid_from_date < cutoffs.cutoff_date then cutoffs.cutoff_date
                else spans.valid_from_date
            end as valid_from_date,
        {%- else %}
            spans.valid_from_date,
        {%- endif %}
        spans.valid_to_date,
        case when spans.is_active then 1 else 0 end as is_daily_active,
        case when spans.active_days_trailing_7d > 0 then 1 else 0 end as is_weekly_active,
        case when spans.active_days_trailing_28d > 0 then 1 else 0 end as is_monthly_active
    from {{ ref('int_user_window_spans_computed') }} as spans
    {%- if is_incremental() %}
    left join cutoffs on spans.user_type = cutoffs.user_type
    where
        cutoffs.cutoff_date is null
        or spans.valid_to_date >= cutoffs.cutoff_date
    {%- endif %}
),

-- +1 on a span's first day, -1 on the day after its last.
changes as (
    select
        user_type,
        valid_from_date as change_date,
        1 as spine_users,
        is_daily_active as daily_active_users,
        is_weekly_active as weekly_active_users,
        is_monthly_active as monthly_active_users
    from window_spans
    union all
    select
        user_type,
        cast({{ dbt.dateadd('day', 1, 'valid_to_date') }} as date) as change_date,
        -1 as spine_users,
        -is_daily_active as daily_active_users,
        -is_weekly_active as weekly_active_users,
        -is_monthly_active as monthly_active_users
    from window_spans
),

change_days as (
    select
        user_type,
        change_date,
        sum(spine_users) as spine_users,
        sum(daily_active_users) as daily_active_users,
        sum(weekly_active_users) as weekly_active_users,
        sum(monthly_active_users) as monthly_active_users
    from changes
    group by 1, 2
),

-- The counts from each change day to the day before the next.
count_periods as (
    select
        user_type,
        change_date,
        lead(change_date) over (
            partition by user_type order by change_date
        ) as next_change_date,
        sum(spine_users) over (
            partition by user_type order by change_date
            rows between unbounded preceding and current row
        ) as spine_users,
        sum(daily_active_users) over (
            partition by user_type order by change_date
            rows between unbounded preceding and current row
        ) as daily_active_users,
        sum(weekly_active_users) over (
            partition by user_type order by change_date
            rows between unbounded preceding and current row
        ) as weekly_active_users,
        sum(monthly_active_users) over (
            partition by user_type order by change_date
            rows between unbounded preceding and current row
        ) as monthly_active_users
    from change_days
),

-- 1 to spine_max_days: a period with users lies within one of their spans, no longer
-- than a spine.
day_numbers as (
    {{ dbt.generate_series(var('spine_max_days')) }}
),

-- The days of the periods some user's spine covers (the last change day of a user
-- type ends every span: no users, no next change day).
daily as (
    select
        count_periods.user_type,
        cast({{ dbt.dateadd('day', 'day_numbers.generated_number - 1',
            'count_periods.change_date') }} as date) as calendar_date,
        cast(count_periods.daily_active_users as {{ dbt.type_bigint() }})
            as daily_active_users,
        cast(count_periods.weekly_active_users as {{ dbt.type_bigint() }})
            as weekly_active_users,
        cast(count_periods.monthly_active_users as {{ dbt.type_bigint() }})
            as monthly_active_users
    from count_periods
    inner join day_numbers
        on
            day_numbers.generated_number
            <= {{ dbt.datediff('count_periods.change_date', 'count_periods.next_change_date',
                'day') }}
    where count_periods.spine_users > 0
),

final as (
    select
        *,
        cast(daily_active_users as double)
        / nullif(monthly_active_users, 0) as dau_over_mau
    from daily
)

select * from final
