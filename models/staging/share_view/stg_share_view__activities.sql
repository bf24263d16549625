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

activities as (
    select *
    from {{ ref('base_share_view__activities') }}
    where
        rejection_reason is null{% if is_incremental() %}
            and source_file not in (select staged_files.source_file from staged_files){% endif %}
),

os_values as (
    select distinct user_os as raw_value from activities
    where user_os is not null
),

app_values as (
    select distinct viewing_app as raw_value from activities
    where viewing_app is not null
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

app_matches as (
    select
        app_values.raw_value,
        browser_mappings.browser_family,
        row_number() over (
            partition by app_values.raw_value
            order by browser_mappings.priority, browser_mappings.match_pattern
        ) as match_rank
    from app_values
    inner join browser_mappings on upper(app_values.raw_value) like browser_mappings.match_pattern
),

app_lookup as (
    select * from app_matches
    where match_rank = 1
),

{# versions parsed once per distinct string, not per record #}
os_versions as (
    select
        raw_value,
        {{ extract_version('raw_value') }} as parsed_version
    from os_values
),

app_versions as (
    select
        raw_value,
        {{ extract_version('raw_value') }} as parsed_version
    from app_values
),

typed as (
    select
        -- lineage
        activities.source_file,
        activities.source_line,

        -- ids
        activities.customer_code,
        activities.client_id,
        activities.relationship_manager_id,

        -- text
        activities.activity_type,
        activities.user_os,
        case
            when activities.user_os is null then null
            else coalesce(os_lookup.os_family, 'Other')
        end as os_family,
        os_versions.parsed_version as os_version,
        case
            when activities.user_os is null then null
            else coalesce(os_lookup.device_type, 'unknown')
        end as device_type,
        activities.viewing_app,
        case
            when activities.viewing_app is null then null
            else coalesce(app_lookup.browser_family, 'Other')
        end as browser_family,
        app_versions.parsed_version as browser_version,
        activities.user_groups,
        cast(
            {{ dbt.length('activities.user_groups') }}
            - {{ dbt.length(dbt.replace('activities.user_groups', "','", "''")) }}
            + 1 as {{ dbt.type_bigint() }}
        ) as user_group_count,
        activities.content_title,
        activities.share_channel,
        activities.extra_columns,

        -- numbers
        activities.time_spent_seconds,

        -- booleans
        activities.viewed_number = 1 as is_viewed,

        -- dates
        activities.shared_date,
        activities.last_activity_date,

        -- timestamps
        activities.shared_at,
        activities.last_activity_at
    from activities
    left join os_lookup on activities.user_os = os_lookup.raw_value
    left join app_lookup on activities.viewing_app = app_lookup.raw_value
    left join os_versions on activities.user_os = os_versions.raw_value
    left join app_versions on activities.viewing_app = app_versions.raw_value
),

keyed as (
    select
        *,
        {{ duplicate_key([
            'customer_code', 'activity_type', 'client_id', 'relationship_manager_id',
            'user_os', 'viewing_app', 'user_groups', 'content_title', 'share_channel',
            'is_viewed', 'time_spent_seconds', 'shared_at', 'shared_date',
            'last_activity_at', 'last_activity_date', 'extra_columns',
        ]) }} as duplicate_key
    from typed
),

-- Exact duplicates: each copy of a record after the first in landing order (file,
-- line), and on an incremental run every copy of a record an earlier run staged. Only
-- keys that occur more than once are ranked: one grouping of the batch, not a sort.
repeated_keys as (
    select duplicate_key
    from keyed
    group by 1
    having count(*) > 1
),

ranked_copies as (
    select
        keyed.source_file,
        keyed.source_line,
        row_number() over (
            partition by keyed.duplicate_key
            order by keyed.source_file, keyed.source_line
        ) as copy_number
    from keyed
    inner join repeated_keys on keyed.duplicate_key = repeated_keys.duplicate_key
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
            keyed.source_file,
            keyed.source_line
        from keyed
        inner join staged_keys on keyed.duplicate_key = staged_keys.duplicate_key
    {%- endif %}
),

flagged as (
    select
        keyed.*,
        later_copies.source_line is not null as is_exact_duplicate
    from keyed
    left join later_copies
        on
            keyed.source_file = later_copies.source_file
            and keyed.source_line = later_copies.source_line
)

select * from flagged
