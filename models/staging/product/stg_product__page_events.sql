with

{% if is_incremental() -%}
    -- Landing is append-only by file: the files an earlier run staged are done, and the
    -- keys of what it staged find the duplicates of new records among them.
    staged_files as (
        select distinct source_file from {{ this }}
    ),

    staged_keys as (
        select duplicate_key from {{ this }}
    ),
{%- endif %}

os_mappings as (
    select
        match_pattern,
        priority,
        os_family,
        device_type
    from {{ ref('os_mappings') }}
),

browser_mappings as (
    select
        match_pattern,
        priority,
        browser_family
    from {{ ref('browser_mappings') }}
),

-- Only the columns used below: this CTE is read several times (DuckDB materialises it),
-- so the raw record and its text forms stay out of it.
page_events as (
    select
        source_file,
        source_line,
        user_id,
        page,
        plan,
        os,
        browser,
        occurred_at,
        {{ duplicate_key(['record_values']) }} as duplicate_key
    from {{ ref('base_product__page_events') }}
    where
        rejection_reason is null{% if is_incremental() %}
            and source_file not in (select staged_files.source_file from staged_files){% endif %}
),

-- Exact duplicates: each copy of a record after the first in landing order (file,
-- line), and on an incremental run every copy of a record an earlier run staged. Only
-- keys that occur more than once are ranked: one grouping of the batch, not a sort.
repeated_keys as (
    select duplicate_key
    from page_events
    group by 1
    having count(*) > 1
),

ranked_copies as (
    select
        page_events.source_file,
        page_events.source_line,
        row_number() over (
            partition by page_events.duplicate_key
            order by page_events.source_file, page_events.source_line
        ) as copy_number
    from page_events
    inner join repeated_keys on page_events.duplicate_key = repeated_keys.duplicate_key
),

later_copies as (
    select
        source_file,
        source_line
    from ranked_copies
    where copy_number > 1
    {%- if is_incremental() %}
        union
        select
            page_events.source_file,
            page_events.source_line
        from page_events
        inner join staged_keys on page_events.duplicate_key = staged_keys.duplicate_key
    {%- endif %}
),

os_values as (
    select distinct os as raw_value from page_events
    where os is not null
),

browser_values as (
    select distinct browser as raw_value from page_events
    where browser is not null
),

-- Each distinct string takes the attributes of the first seed pattern (lowest priority)
-- that its upper-cased text matches (LIKE). Matching runs over distinct values only.
os_matches as (
    select
        os_values.raw_value,
        os_mappings.os_family,
        os_mappings.device_type,
        row_number() over (
            partition by os_values.raw_value
            order by os_mappings.priority, os_mappings.match_pattern
        ) as match_rank
    from os_values
    inner join os_mappings on upper(os_values.raw_value) like os_mappings.match_pattern
),

os_lookup as (
    select * from os_matches
    where match_rank = 1
),

browser_matches as (
    select
        browser_values.raw_value,
        browser_mappings.browser_family,
        row_number() over (
            partition by browser_values.raw_value
            order by browser_mappings.priority, browser_mappings.match_pattern
        ) as match_rank
    from browser_values
    inner join browser_mappings
        on upper(browser_values.raw_value) like browser_mappings.match_pattern
),

browser_lookup as (
    select * from browser_matches
    where match_rank = 1
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
