{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_key', 'activity_date'],
) }}

{#
    One row per user per active day, all sources together: the building block of the
    user-day, window, adoption, retention and lifecycle facts. Incremental: a run
    recomputes each user type's days from its latest built day minus
    var('late_arrival_lookback_days').
#}

with

{% if is_incremental() -%}
    -- Per user type already built, the first day to recompute; a type not built yet
    -- has no row, and all its days are computed.
    cutoffs as (
        select
            user_type,
            {{ lookback_start('max(activity_date)') }} as cutoff_date
        from {{ this }}
        group by 1
    ),
{%- endif %}

events as (
    select unioned.*
    from {{ ref('int_activity_events_unioned') }} as unioned
    {%- if is_incremental() %}
    left join cutoffs on unioned.user_type = cutoffs.user_type
    where cutoffs.cutoff_date is null or unioned.activity_date >= cutoffs.cutoff_date
    {%- endif %}
),

{# per item first: counting the distinct pages and contents of a day is then a plain
   count, far cheaper than count(distinct) over the events #}
user_day_items as (
    select
        user_type,
        user_id,
        customer_code,
        activity_date,
        event_source,
        item,
        count(*) as events,
        sum(time_spent_seconds) as time_spent_seconds,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at
    from events
    group by 1, 2, 3, 4, 5, 6
),

user_days as (
    select
        {{ user_key() }}
            as user_key,
        user_type,
        user_id,
        customer_code,
        activity_date,
        {{ bigint_sum("case when event_source = 'login' then events else 0 end") }}
            as login_count,
        {{ bigint_sum("case when event_source = 'page_event' then events else 0 end") }}
            as page_event_count,
        {{ bigint_sum("case when event_source = 'view' then events else 0 end") }}
            as view_count,
        count(case when event_source = 'page_event' then item end) as distinct_pages,
        count(case when event_source = 'view' then item end) as distinct_contents,
        coalesce(sum(time_spent_seconds), 0) as time_spent_seconds,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at
    from user_day_items
    group by 2, 3, 4, 5
)

select * from user_days
