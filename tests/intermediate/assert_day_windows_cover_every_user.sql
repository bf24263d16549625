-- Every user's spans in int_user_window_spans_computed (the spine, stored as runs of days
-- with the same values; published day by day as fct_user_day_windows) run from the first
-- active day without a gap or an overlap and reach at least the last active day, and each
-- span is maximal: its values differ from those of the span before. Fails for a user
-- whose days went missing or repeat, for two spans that should be one, or for a span
-- longer than var spine_max_days (the days the view and rpt_daily_active_users expand).
-- Without --full-refresh only the users whose spans an incremental build may have
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

spans as (
    select
        user_key,
        valid_from_date,
        valid_to_date,
        is_active,
        active_days_trailing_7d,
        active_days_trailing_28d,
        lag(valid_to_date) over (
            partition by user_key order by valid_from_date
        ) as previous_valid_to_date,
        lag(is_active) over (
            partition by user_key order by valid_from_date
        ) as previous_is_active,
        lag(active_days_trailing_7d) over (
            partition by user_key order by valid_from_date
        ) as previous_trailing_7d,
        lag(active_days_trailing_28d) over (
            partition by user_key order by valid_from_date
        ) as previous_trailing_28d
    from {{ ref('int_user_window_spans_computed') }}
    where user_key in (select user_days.user_key from user_days)
),

user_spans as (
    select
        user_key,
        min(valid_from_date) as first_date,
        max(valid_to_date) as last_date,
        max({{ dbt.datediff('valid_from_date', 'valid_to_date', 'day') }}) + 1
            as longest_span_days,
        count(
            case
                when
                    previous_valid_to_date is not null
                    and valid_from_date
                    <> cast({{ dbt.dateadd('day', 1, 'previous_valid_to_date') }} as date)
                    then 1
            end
        ) as gaps_or_overlaps,
        count(
            case
                when
                    is_active = previous_is_active
                    and active_days_trailing_7d = previous_trailing_7d
                    and active_days_trailing_28d = previous_trailing_28d
                    then 1
            end
        ) as unmerged_spans
    from spans
    group by 1
),

checked as (
    select
        user_days.user_key,
        user_days.first_active_date,
        user_days.last_active_date,
        user_spans.first_date,
        user_spans.last_date,
        user_spans.longest_span_days,
        case
            when user_spans.user_key is null
                then 'no days'
            when user_spans.first_date <> user_days.first_active_date
                then 'does not start on the first active day'
            when user_spans.last_date < user_days.last_active_date
                then 'ends before the last active day'
            when user_spans.gaps_or_overlaps > 0
                then 'gap or overlap between spans'
            when user_spans.unmerged_spans > 0
                then 'a span repeats the values of the one before'
            when user_spans.longest_span_days > {{ var('spine_max_days') }}
                then 'span longer than spine_max_days'
        end as failure
    from user_days
    left join user_spans on user_days.user_key = user_spans.user_key
)

select * from checked
where failure is not null
