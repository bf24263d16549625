{#
    One row per web-tool user and page the user used: when first and last, how many
    times. The user x page matrix behind the page recommendations.
#}

with

page_events as (
    select
        user_id,
        page,
        occurred_at
    from {{ ref('stg_product__page_events') }}
    where not is_exact_duplicate
),

usage as (
    select
        user_id,
        page,
        min(occurred_at) as first_used_at,
        max(occurred_at) as last_used_at,
        count(*) as uses
    from page_events
    group by 1, 2
)

select * from usage
