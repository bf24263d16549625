{{ config(materialized='view') }}

{#
    One row per use of a web-tool page, each exported event once: the staged page events
    without their exact duplicates (export artefacts, not use; staging keeps them
    flagged and rpt_landing_files counts them), with the time in
    var('report_time_zone') and its calendar day. The page-event base of the event,
    cohort, return-feature and page-usage models.
#}

with

page_events as (
    select
        source_file,
        source_line,
        user_id,
        page,
        plan,
        os_family,
        browser_family,
        device_type,
        occurred_at
    from {{ ref('stg_product__page_events') }}
    where not is_exact_duplicate
),

localised as (
    select
        source_file,
        source_line,
        user_id,
        page,
        plan,
        os_family,
        browser_family,
        device_type,
        {{ to_report_time('occurred_at') }} as occurred_at,
        cast({{ to_report_time('occurred_at') }} as date) as activity_date
    from page_events
)

select * from localised
