{#
    One row per VIEW record (one viewing session) as the customer's export holds it,
    exact duplicates flagged: which client viewed which content, on which device, OS
    and browser, when (local date, hour, weekday, month), for how long, and the share
    it came from.
#}

with

views as (
    select * from {{ ref('int_share_view_activities_enriched') }}
    where activity_type = 'VIEW'
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
