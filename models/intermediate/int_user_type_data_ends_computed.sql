{{ config(materialized='view') }}

{#
    One row per user type: the last day its data covers (the latest active day of any
    user of that type). What "observable", "open" and "the end of the data" mean in every
    window, retention, aha and feature model.
#}

with

user_days as (
    select
        user_type,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

data_ends as (
    select
        user_type,
        max(activity_date) as data_end_date
    from user_days
    group by 1
)

select * from data_ends
