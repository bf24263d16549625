{{ config(materialized='incremental', incremental_strategy='append') }}

with

page_events as (
    select
        *,
        {{ duplicate_key(['record_values']) }} as duplicate_key
    from {{ ref('base_product__page_events') }}
    where
        rejection_reason is null
        {{ only_new_source_files('source_file', keyword='and') }}
),

{{ later_copies('page_events') }}

os_values as (
    select distinct os as raw_value from page_events
    where os is not null
),

browser_values as (
    select distinct browser as raw_value from page_events
    where browser is not null
),

os_lookup as (
    {{ lookup_by_pattern('os_values', ref('os_mappings'), ['os_family', 'device_type']) }}
),

browser_lookup as (
    {{ lookup_by_pattern('browser_values', ref('browser_mappings'), ['browser_family']) }}
),

renamed as (
    select
        -- lineage
        page_events.source_file,
        page_events.source_line,

        -- ids
        page_events.user_id,

        -- text
        page_events.page,
        page_events.plan,
        page_events.os,
        case
            when page_events.os is null then null
            else coalesce(os_lookup.os_family, 'Other')
        end as os_family,
        case
            when page_events.os is null then null
            else coalesce(os_lookup.device_type, 'unknown')
        end as device_type,
        page_events.browser,
        case
            when page_events.browser is null then null
            else coalesce(browser_lookup.browser_family, 'Other')
        end as browser_family,

        -- timestamps
        page_events.occurred_at,

        -- duplicates
        page_events.duplicate_key,
        later_copies.source_line is not null as is_exact_duplicate
    from page_events
    left join later_copies
        on
            page_events.source_file = later_copies.source_file
            and page_events.source_line = later_copies.source_line
    left join os_lookup on page_events.os = os_lookup.raw_value
    left join browser_lookup on page_events.browser = browser_lookup.raw_value
)

select * from renamed
