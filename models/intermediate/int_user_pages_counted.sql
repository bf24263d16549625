{{ config(materialized='view') }}

{#
    One row per web-tool user and page the user used: when first and last (in
    var('report_time_zone')), how many times (each exported event once). The user x page
    matrix behind the page recommendations.
#}

with

page_events as (
    select
        user_id,
        page,
        occurred_at
    from {{ ref('int_page_events_deduplicated') }}
),

usage as (
    select
        user_id,
        page,
        min(occurred_at) as first_used_at,
        max(occurred_at) as last_used_at,
        count(*) as uses
    from page_events
    group by 1, 2
)

select * from usage
