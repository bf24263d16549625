{{ config(materialized='incremental', incremental_strategy='append') }}

with

activities as (
    select * from {{ ref('base_share_view__activities') }}
    where
        rejection_reason is null
        {{ only_new_source_files('source_file', keyword='and') }}
),

os_values as (
    select distinct user_os as raw_value from activities
    where user_os is not null
),

app_values as (
    select distinct viewing_app as raw_value from activities
    where viewing_app is not null
),

os_lookup as (
    {{ lookup_by_pattern('os_values', ref('os_mappings'), ['os_family', 'device_type']) }}
),

app_lookup as (
    {{ lookup_by_pattern('app_values', ref('browser_mappings'), ['browser_family']) }}
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
        {{ dbt.length('activities.user_groups') }}
        - {{ dbt.length(dbt.replace('activities.user_groups', "','", "''")) }}
        + 1 as user_group_count,
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

{{ later_copies('keyed') }}

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
