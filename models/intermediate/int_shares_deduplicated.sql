{{ config(materialized='view') }}

{#
    One row per share sent, each exported SHARE record once: int_shares_linked without
    the exact duplicate records (export artefacts; fct_shares keeps them flagged and the
    engagement reports count them). Re-sends (the same content sent again, a record of
    its own) stay. The share base of every model that reads shares as events: the
    share/view and aha features, the first active days, the client states, the RM and
    latency summaries.
#}

with

shares as (
    select * from {{ ref('int_shares_linked') }}
    where not is_exact_duplicate
),

final as (
    select
        share_id,
        customer_code,
        customer_name,
        industry,
        relationship_manager_id,
        client_id,
        share_channel,
        content_title,
        content_kind,
        user_groups,
        user_group_count,
        shared_at,
        shared_date,
        shared_hour,
        shared_weekday,
        shared_weekday_name,
        shared_month,
        is_viewed,
        time_spent_seconds,
        last_activity_at,
        activity_month,
        linked_views,
        first_view_at,
        minutes_to_first_view
    from shares
)

select * from final
