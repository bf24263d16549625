{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_key', 'activity_date'],
) }}

{#
    One row per user per active day, across sources: logins (accounts), page events
    (web-tool users) and views of shared content (clients). Exact duplicate export
    records are not counted. Incremental, like int_user_days_aggregated.
#}

with

{% if is_incremental() -%}
    cutoffs as (
        {{ incremental_cutoffs('activity_date') }}
    ),
{%- endif %}

user_days as (
    select aggregated.*
    from {{ ref('int_user_days_aggregated') }} as aggregated
    {{ after_cutoff('aggregated', 'activity_date') }}
),

final as (
    select
        user_key,
        user_type,
        user_id,
        customer_code,
        activity_date,
        login_count,
        page_event_count,
        view_count,
        login_count + page_event_count + view_count as event_count,
        distinct_pages,
        distinct_contents,
        cast(time_spent_seconds as double) as time_spent_seconds,
        first_event_at,
        last_event_at
    from user_days
)

select * from final
