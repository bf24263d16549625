{#
    One row per share_view customer: how soon clients view what is shared, and how much
    of that is known. Latency is the time from a share to the first VIEW record linked to
    it (int_share_view_pairs_matched); a viewed share no view links to has an unknown latency.
    Each exported share and view counts once (int_shares_deduplicated,
    int_views_deduplicated).
#}

with

shares as (
    select
        customer_code,
        industry,
        is_viewed,
        linked_views,
        minutes_to_first_view
    from {{ ref('int_shares_deduplicated') }}
),

views as (
    select
        customer_code,
        share_id
    from {{ ref('int_views_deduplicated') }}
),

latency as (
    select
        customer_code,
        min(industry) as industry,
        count(*) as shares,
        count(case when is_viewed then 1 end) as viewed_shares,
        count(minutes_to_first_view) as shares_with_known_latency,
        count(case when not is_viewed and linked_views > 0 then 1 end)
            as unviewed_shares_with_linked_views,
        {{ percentile('minutes_to_first_view', 0.25) }} as p25_minutes_to_first_view,
        {{ percentile('minutes_to_first_view', 0.5) }} as median_minutes_to_first_view,
        {{ percentile('minutes_to_first_view', 0.75) }} as p75_minutes_to_first_view,
        {{ percentile('minutes_to_first_view', 0.9) }} as p90_minutes_to_first_view,
        count(case when minutes_to_first_view <= 60 then 1 end) as viewed_within_1_hour,
        count(case when minutes_to_first_view <= 60 * 24 then 1 end) as viewed_within_1_day,
        count(case when minutes_to_first_view <= 60 * 24 * 7 then 1 end)
            as viewed_within_7_days
    from shares
    group by 1
),

view_links as (
    select
        customer_code,
        count(*) as views,
        count(share_id) as linked_views
    from views
    group by 1
),

final as (
    select
        latency.*,
        coalesce(view_links.views, 0) as views,
        coalesce(view_links.linked_views, 0) as linked_views,
        cast(view_links.linked_views as double)
        / nullif(view_links.views, 0) as view_link_rate,
        cast(latency.shares_with_known_latency as double)
        / nullif(latency.viewed_shares, 0) as known_latency_rate,
        cast(latency.viewed_within_1_hour as double)
        / nullif(latency.shares_with_known_latency, 0) as share_of_known_within_1_hour,
        cast(latency.viewed_within_1_day as double)
        / nullif(latency.shares_with_known_latency, 0) as share_of_known_within_1_day,
        cast(latency.viewed_within_7_days as double)
        / nullif(latency.shares_with_known_latency, 0) as share_of_known_within_7_days
    from latency
    left join view_links on latency.customer_code = view_links.customer_code
)

select * from final
