{#
    One row per share_view customer and month: the engagement figures of
    rpt_customer_engagement (each exported record once, exact duplicates counted apart;
    sharing users are the RMs who sent shares) for the records whose last activity falls
    in that month (activity_month: first day of the month of a share's Last Activity
    Date; a view's last activity is the view itself).
#}

with

activities as (
    select
        customer_code,
        customer_name,
        industry,
        cast({{ dbt.date_trunc('month', 'last_activity_local_date') }} as date)
            as activity_month,
        activity_type,
        relationship_manager_id,
        client_id,
        is_viewed,
        is_exact_duplicate,
        time_spent_seconds
    from {{ ref('int_share_view_activities_enriched') }}
),

{{ engagement_figures(['customer_code', 'customer_name', 'industry', 'activity_month']) }}

select * from final
