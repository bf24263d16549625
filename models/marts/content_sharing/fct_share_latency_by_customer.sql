{#
    One row per share_view customer: how soon clients view what is shared. Latency is
    the time from a share to the first VIEW record linked to it; shares viewed without a
    linked VIEW record have no known latency. Exact duplicate share rows are left out.
#}

with

shares as (
    select
        customer_code,
        industry,
        is_viewed,
        minutes_to_first_view
    from {{ ref('fct_shares') }}
    where not is_exact_duplicate
),

latency as (
    select
        customer_code,
        min(industry) as industry,
        count(*) as shares,
        count(case when is_viewed then 1 end) as viewed_shares,
        count(minutes_to_first_view) as shares_with_known_latency,
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

final as (
    select
        *,
        cast(viewed_within_1_hour as double)
        / nullif(shares_with_known_latency, 0) as share_of_known_within_1_hour,
        cast(viewed_within_1_day as double)
        / nullif(shares_with_known_latency, 0) as share_of_known_within_1_day,
        cast(viewed_within_7_days as double)
        / nullif(shares_with_known_latency, 0) as share_of_known_within_7_days
    from latency
)

select * from final
