{#
    One row per customer and relationship manager: shares sent, clients reached, how
    many of the shares were viewed (view-through rate) and how soon (median minutes to
    the first linked view, and how many viewed shares it rests on). Each exported share
    counts once (int_shares_deduplicated).
#}

with

shares as (
    select
        customer_code,
        industry,
        relationship_manager_id,
        client_id,
        is_viewed,
        minutes_to_first_view,
        shared_date
    from {{ ref('int_shares_deduplicated') }}
    where relationship_manager_id is not null
),

managers as (
    select
        customer_code,
        relationship_manager_id,
        min(industry) as industry,
        count(*) as shares_sent,
        count(distinct client_id) as clients_reached,
        count(case when is_viewed then 1 end) as viewed_shares,
        count(minutes_to_first_view) as shares_with_known_latency,
        {{ percentile('minutes_to_first_view', 0.5) }} as median_minutes_to_first_view,
        min(shared_date) as first_share_date,
        max(shared_date) as last_share_date
    from shares
    group by 1, 2
),

final as (
    select
        *,
        cast(viewed_shares as double) / nullif(shares_sent, 0) as view_through_rate
    from managers
)

select * from final
