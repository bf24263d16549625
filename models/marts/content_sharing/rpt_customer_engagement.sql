{#
    One row per share_view customer: the engagement figures the business reports,
    counted over SHARE and VIEW rows as the export holds them (re-sends and exact
    duplicates included; the duplicates also counted apart), so that they reconcile
    with a count of the raw export by hand. That is why it reads the flagged records
    (int_share_view_activities_enriched), not the deduplicated bases. Rejected records
    (see rpt_landing_files) are not counted.
#}

with

activities as (
    select
        customer_code,
        customer_name,
        industry,
        activity_type,
        client_id,
        is_viewed,
        is_exact_duplicate,
        time_spent_seconds
    from {{ ref('int_share_view_activities_enriched') }}
),

counted as (
    select
        customer_code,
        customer_name,
        industry,
        count(distinct case when activity_type = 'SHARE' then client_id end)
            as sharing_users,
        count(case when activity_type = 'SHARE' then 1 end) as shares,
        count(case when activity_type = 'SHARE' and is_exact_duplicate then 1 end)
            as exact_duplicate_shares,
        count(case when activity_type = 'SHARE' and is_viewed then 1 end) as viewed_shares,
        count(case when activity_type = 'VIEW' then 1 end) as views,
        count(case when activity_type = 'VIEW' and is_exact_duplicate then 1 end)
            as exact_duplicate_views,
        count(distinct case when activity_type = 'VIEW' then client_id end)
            as viewing_clients,
        coalesce(sum(case when activity_type = 'VIEW' then time_spent_seconds end), 0)
        / 60.0 as total_minutes_viewed,
        {{ percentile("case when activity_type = 'VIEW' then time_spent_seconds end", 0.5) }}
        / 60.0 as median_minutes_viewed
    from activities
    group by 1, 2, 3
),

final as (
    select
        customer_code,
        customer_name,
        industry,
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
    from counted
)

select * from final
