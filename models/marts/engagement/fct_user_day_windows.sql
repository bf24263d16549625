{{ config(materialized='view') }}

{#
    One row per user per calendar day of the user's spine, active or not, with active
    days in the trailing 7 and 28 days. A view of int_user_day_windows_computed (the
    incremental table, stored once).

    The ref leaves out the database name: DuckDB resolves a view's tables in the view's
    own catalog, so the view works whatever name the file is attached under.
#}

with

user_day_windows as (
    select
        user_key,
        user_type,
        calendar_date,
        is_active,
        days_since_first_active,
        active_days_trailing_7d,
        active_days_trailing_28d
    from {{ ref('int_user_day_windows_computed').include(database=False) }}
)

select * from user_day_windows
