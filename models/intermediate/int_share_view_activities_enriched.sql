{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_id',
) }}

{#
    One row per staged share_view record (SHARE or VIEW), with its customer's name and
    industry, the content kind, report-zone times and calendar parts, and a record id
    (file:line). The exports give a VIEW record no share fields of its own: its
    share_id, RM, channel and shared time are those of the share it links to
    (int_share_view_pairs_matched), null when it links to none. A SHARE record's share_id is
    its own id. The export's own values stay in staging. Incremental: a run computes
    the records of the files this table does not hold yet, and again the VIEW records
    of every customer, client and title (key) with a record in such a file, whose
    link a new share or view can change (a SHARE record's fields are its own). A
    change to the customers seed needs --full-refresh.
#}

with

{% if is_incremental() -%}
    built_files as (
        select distinct source_file from {{ this }}
    ),
{%- endif %}

staged as (
    select * from {{ ref('stg_share_view__activities') }}
),

{% if is_incremental() -%}
    new_records as (
        select * from staged
        where source_file not in (select built_files.source_file from built_files)
    ),

    changed_keys as (
        select distinct
            customer_code,
            client_id,
            content_title
        from new_records
        where client_id is not null and content_title is not null
    ),

    -- The VIEW records of changed keys in files built before: their link may change.
    relinked_views as (
        select staged.*
        from staged
        inner join changed_keys
            on
                staged.customer_code = changed_keys.customer_code
                and staged.client_id = changed_keys.client_id
                and staged.content_title = changed_keys.content_title
        where
            staged.activity_type = 'VIEW'
            and staged.source_file in (select built_files.source_file from built_files)
    ),
{%- endif %}

-- The records this run computes: all, or on an incremental run the new and relinked ones.
activities as (
    {% if is_incremental() -%}
        select * from new_records
        union all
        select * from relinked_views
    {%- else -%}
        select * from staged
    {%- endif %}
),

links as (
    select * from {{ ref('int_share_view_pairs_matched') }}
),

{# the share fields of every record: a SHARE's own, a VIEW's linked share's #}
share_fields as (
    select
        source_file,
        source_line,
        {{ dbt.concat(['source_file', "':'",
            'cast(source_line as ' ~ dbt.type_string() ~ ')']) }} as share_id,
        relationship_manager_id,
        share_channel,
        shared_date,
        shared_at
    from activities
    where activity_type = 'SHARE'
    union all
    select
        source_file,
        source_line,
        share_id,
        relationship_manager_id,
        share_channel,
        cast(shared_at as date) as shared_date,
        shared_at
    from links
),

customers as (
    select
        customer_code,
        customer_name,
        industry
    from {{ ref('int_customers_unioned') }}
),

linked as (
    select
        {{ dbt.concat(['activities.source_file', "':'",
            'cast(activities.source_line as ' ~ dbt.type_string() ~ ')']) }} as activity_id,
        activities.source_file,
        activities.source_line,
        activities.activity_type,
        share_fields.share_id,
        activities.customer_code,
        activities.client_id,
        share_fields.relationship_manager_id,
        activities.user_os,
        activities.os_family,
        activities.os_version,
        activities.device_type,
        activities.viewing_app,
        activities.browser_family,
        activities.browser_version,
        activities.user_groups,
        activities.user_group_count,
        activities.content_title,
        share_fields.share_channel,
        activities.extra_columns,
        activities.time_spent_seconds,
        activities.is_viewed,
        share_fields.shared_date,
        activities.last_activity_date,
        share_fields.shared_at,
        activities.last_activity_at,
        activities.is_exact_duplicate
    from activities
    left join share_fields
        on
            activities.source_file = share_fields.source_file
            and activities.source_line = share_fields.source_line
),

prepared as (
    select
        linked.*,
        customers.customer_name,
        customers.industry,
        {{ content_kind('linked.content_title') }} as content_kind,
        {{ to_report_time('linked.shared_at') }} as shared_at_local,
        {{ to_report_time('linked.last_activity_at') }} as last_activity_at_local
    from linked
    left join customers on linked.customer_code = customers.customer_code
),

final as (
    select
        *,
        coalesce(
            cast(last_activity_at_local as date), last_activity_date
        ) as last_activity_local_date,
        cast(extract(hour from last_activity_at_local) as integer)
            as last_activity_hour,
        {{ iso_weekday('coalesce(cast(last_activity_at_local as date), last_activity_date)') }}
            as last_activity_weekday,
        coalesce(cast(shared_at_local as date), shared_date) as shared_local_date,
        cast(extract(hour from shared_at_local) as integer) as shared_hour,
        {{ iso_weekday('coalesce(cast(shared_at_local as date), shared_date)') }}
            as shared_weekday
    from prepared
)

select * from final
