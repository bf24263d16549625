{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='view_id',
) }}

{#
    One row per VIEW record (one viewing session) as the customer's export holds it,
    exact duplicates flagged: which client viewed which content, on which device, OS
    and browser, when (local date, hour, weekday, month), for how long, and the share
    it came from. Incremental: a run recomputes the VIEW records of the files this table
    does not hold a view of yet, and every VIEW record of a customer, client and title
    (key) with a record in such a file, whose link a new share can change (a file
    without a VIEW record is read again on later runs, to the same rows).
#}

with

records as (
    select * from {{ ref('int_share_view_activities_enriched') }}
),

{% if is_incremental() -%}
    {{ share_view_changed_activities('view_id', 'VIEW') }}
{%- endif %}

views as (
    select * from records
    where activity_type = 'VIEW'
    {%- if is_incremental() %}
        and activity_id in (select changed_activities.activity_id from changed_activities)
    {%- endif %}
),

final as (
    select
        activity_id as view_id,
        share_id,
        customer_code,
        customer_name,
        industry,
        client_id,
        relationship_manager_id,
        share_channel,
        content_title,
        content_kind,
        device_type,
        os_family,
        os_version,
        browser_family,
        browser_version,
        last_activity_at_local as viewed_at,
        last_activity_local_date as viewed_date,
        last_activity_hour as view_hour,
        last_activity_weekday as view_weekday,
        {{ weekday_name('last_activity_weekday') }} as view_weekday_name,
        cast({{ dbt.date_trunc('month', 'last_activity_local_date') }} as date) as view_month,
        time_spent_seconds,
        time_spent_seconds / 60.0 as minutes_viewed,
        is_exact_duplicate
    from views
)

select * from final
