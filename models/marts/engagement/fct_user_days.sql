{{ config(materialized='view') }}

{#
    One row per user per active day, across sources: logins (accounts), page events
    (web-tool users) and views of shared content (clients). Exact duplicate export
    records are not counted. A view of int_user_days_aggregated (the incremental table,
    stored once) with the day's total event count.

    The ref leaves out the database name: DuckDB resolves a view's tables in the view's
    own catalog, so the view works whatever name the file is attached under.
#}

with

user_days as (
    select
        user_key,
        user_type,
        user_id,
        customer_code,
        activity_date,
        login_count,
        page_event_count,
        view_count,
        distinct_pages,
        distinct_contents,
        time_spent_seconds,
        first_event_at,
        last_event_at
    from {{ ref('int_user_days_aggregated').include(database=False) }}
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
