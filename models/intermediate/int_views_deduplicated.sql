{{ config(materialized='view') }}

{#
    One row per viewing session, each exported VIEW record once: int_views_linked
    without the exact duplicate records (export artefacts; fct_views keeps them flagged
    and the engagement reports count them). Times are in var('report_time_zone'). The
    view base of every model that reads views as events: the activity events, the share
    links, the share/view and view-time features, the user cohorts, the client states
    and the view summaries.
#}

with

views as (
    select * from {{ ref('int_views_linked') }}
    where not is_exact_duplicate
),

final as (
    select
        view_id,
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
        viewed_at,
        viewed_date,
        view_hour,
        view_weekday,
        view_weekday_name,
        view_month,
        time_spent_seconds,
        minutes_viewed
    from views
)

select * from final
