{{ config(materialized='view') }}

{#
    One row per user per week of the user's spine: active days in the week and the
    user's lifecycle state that week (new, returning, resurrecting, dormant; null for a
    later quiet week). A view of int_user_weeks_aggregated (the incremental table, stored
    once).

    The ref leaves out the database name: DuckDB resolves a view's tables in the view's
    own catalog, so the view works whatever name the file is attached under.
#}

with

user_weeks as (
    select
        user_key,
        user_type,
        week_start_date,
        active_days,
        is_active,
        is_complete_week,
        lifecycle_state
    from {{ ref('int_user_weeks_aggregated').include(database=False) }}
)

select * from user_weeks
