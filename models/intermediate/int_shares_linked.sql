{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='share_id',
) }}

{#
    One row per SHARE record as the customer's export holds it (re-sends and exact
    duplicates included, the latter flagged): who shared what with whom, through which
    channel, when (local date, hour, weekday, month), whether and how soon the client
    viewed it. Times are as exported, read as UTC and shown in report_time_zone.
    is_viewed is the export's Viewed flag. How soon is known only from the VIEW records
    that link to the share (int_share_view_pairs_matched), each exported view once
    (int_views_deduplicated): a viewed share's first linked view dates its first view; a
    viewed share no view links to has an unknown latency, and views linked to a share
    the export says was not viewed are counted (linked_views) but date nothing.
    Incremental: a view links only to a share of its customer, client and title (key),
    so a run recomputes the SHARE records of the files this table does not hold a share
    of yet, and every SHARE record of a key with a record in such a file (a file without
    a SHARE record is read again on later runs, to the same rows).
#}

with

records as (
    select * from {{ ref('int_share_view_activities_enriched') }}
),

{% if is_incremental() -%}
    {{ share_view_changed_activities('share_id', 'SHARE') }}
{%- endif %}

shares as (
    select * from records
    where activity_type = 'SHARE'
    {%- if is_incremental() %}
        and activity_id in (select changed_activities.activity_id from changed_activities)
    {%- endif %}
),

views as (
    select
        share_id,
        viewed_at
    from {{ ref('int_views_deduplicated') }}
    {%- if is_incremental() %}
        where share_id in (select shares.activity_id from shares)
    {%- endif %}
),

first_views as (
    select
        share_id,
        min(viewed_at) as first_view_at,
        count(*) as linked_views
    from views
    where share_id is not null
    group by 1
),

final as (
    select
        shares.activity_id as share_id,
        shares.customer_code,
        shares.customer_name,
        shares.industry,
        shares.relationship_manager_id,
        shares.client_id,
        shares.share_channel,
        shares.content_title,
        shares.content_kind,
        shares.user_groups,
        shares.user_group_count,
        shares.shared_at_local as shared_at,
        shares.shared_local_date as shared_date,
        shares.shared_hour,
        shares.shared_weekday,
        {{ weekday_name('shares.shared_weekday') }} as shared_weekday_name,
        cast({{ dbt.date_trunc('month', 'shares.shared_local_date') }} as date) as shared_month,
        shares.is_viewed,
        shares.time_spent_seconds,
        shares.last_activity_at_local as last_activity_at,
        cast({{ dbt.date_trunc('month', 'shares.last_activity_local_date') }} as date)
            as activity_month,
        coalesce(first_views.linked_views, 0) as linked_views,
        case when shares.is_viewed then first_views.first_view_at end as first_view_at,
        -- a double on every engine (Spark divides by 60.0 as a decimal)
        cast({{ dbt.datediff(
            'shares.shared_at_local',
            'case when shares.is_viewed then first_views.first_view_at end',
            'second',
        ) }} as double) / 60 as minutes_to_first_view,
        shares.is_exact_duplicate
    from shares
    left join first_views on shares.activity_id = first_views.share_id
)

select * from final
