{#
    One row per share_view customer and month: the engagement figures of
    fct_customer_engagement for the records whose last activity falls in that month
    (activity_month: first day of the month of a share's Last Activity Date; a view's
    last activity is the view itself).
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
        client_id,
        is_viewed,
        is_exact_duplicate,
        time_spent_seconds
    from {{ ref('int_share_view_activities_enriched') }}
),

engagement as (
    {{ share_view_engagement('activities', ['customer_code', 'customer_name', 'activity_month']) }}
),

final as (
    select
        customer_code,
        customer_name,
        industry,
        activity_month,
        sharing_users,
        shares,
        cast(shares as double) / nullif(sharing_users, 0) as shares_per_sharing_user,
        exact_duplicate_shares,
        viewed_shares,
        cast(viewed_shares as double) / nullif(shares, 0) as share_view_through_rate,
        views,
        exact_duplicate_views,
        cast(views as double) / nullif(shares, 0) as views_per_share,
        viewing_clients,
        total_minutes_viewed,
        median_minutes_viewed
    from engagement
)

select * from final
