{{ config(materialized='table') }}

{#
    One row per share (exact duplicates left out): what was known when it was sent,
    and whether the client viewed it within share_view_window_days. Point in time: the
    RM's earlier shares and how many of them had been viewed by then, the client's
    earlier shares and views, and the title's earlier views count only what happened
    strictly before shared_at. The label is null while the window is still open at the
    end of the customer's data (an open share: scored, not trained on), and when the
    export says viewed but neither a linked view nor the last activity dates the first
    view.
#}

with

shares as (
    select
        share_id,
        customer_code,
        industry,
        relationship_manager_id,
        client_id,
        coalesce(share_channel, 'unknown') as share_channel,
        content_title,
        content_kind,
        shared_at,
        shared_hour,
        shared_weekday,
        is_viewed,
        first_view_at,
        last_activity_at
    from {{ ref('fct_shares') }}
    where not is_exact_duplicate and shared_at is not null
),

views as (
    select
        customer_code,
        client_id,
        content_title,
        viewed_at
    from {{ ref('fct_views') }}
    where not is_exact_duplicate and viewed_at is not null
),

data_ends as (
    select
        customer_code,
        max(last_activity_at) as data_end_at
    from {{ ref('fct_shares') }}
    group by 1
),

rm_history as (
    select
        shares.share_id,
        count(earlier.share_id) as rm_prior_shares,
        count(case when earlier.first_view_at < shares.shared_at then 1 end)
            as rm_prior_viewed_shares
    from shares
    inner join shares as earlier
        on
            shares.customer_code = earlier.customer_code
            and shares.relationship_manager_id = earlier.relationship_manager_id
            and shares.shared_at > earlier.shared_at
    group by 1
),

client_shares as (
    select
        shares.share_id,
        count(earlier.share_id) as client_prior_shares
    from shares
    inner join shares as earlier
        on
            shares.customer_code = earlier.customer_code
            and shares.client_id = earlier.client_id
            and shares.shared_at > earlier.shared_at
    group by 1
),

client_views as (
    select
        shares.share_id,
        count(*) as client_prior_views
    from shares
    inner join views
        on
            shares.customer_code = views.customer_code
            and shares.client_id = views.client_id
            and shares.shared_at > views.viewed_at
    group by 1
),

title_views as (
    select
        shares.share_id,
        count(*) as title_prior_views
    from shares
    inner join views
        on
            shares.customer_code = views.customer_code
            and shares.content_title = views.content_title
            and shares.shared_at > views.viewed_at
    group by 1
),

window_ends as (
    select
        shares.*,
        data_ends.data_end_at,
        {{ dbt.dateadd('day', var('share_view_window_days'), 'shares.shared_at') }}
            as window_end_at
    from shares
    inner join data_ends on shares.customer_code = data_ends.customer_code
),

final as (
    select
        window_ends.share_id,
        window_ends.customer_code,
        window_ends.industry,
        window_ends.relationship_manager_id,
        window_ends.client_id,
        window_ends.share_channel,
        window_ends.content_kind,
        window_ends.shared_at,
        window_ends.shared_hour,
        window_ends.shared_weekday,
        coalesce(rm_history.rm_prior_shares, 0) as rm_prior_shares,
        cast(rm_history.rm_prior_viewed_shares as double)
        / nullif(rm_history.rm_prior_shares, 0) as rm_prior_view_through_rate,
        coalesce(client_shares.client_prior_shares, 0) as client_prior_shares,
        coalesce(client_views.client_prior_views, 0) as client_prior_views,
        coalesce(title_views.title_prior_views, 0) as title_prior_views,
        window_ends.window_end_at > window_ends.data_end_at as is_open,
        case
            when window_ends.first_view_at <= window_ends.window_end_at then true
            when window_ends.window_end_at > window_ends.data_end_at then null
            when not window_ends.is_viewed then false
            when window_ends.first_view_at > window_ends.window_end_at then false
            when window_ends.last_activity_at <= window_ends.window_end_at then true
        end as is_viewed_within_window
    from window_ends
    left join rm_history on window_ends.share_id = rm_history.share_id
    left join client_shares on window_ends.share_id = client_shares.share_id
    left join client_views on window_ends.share_id = client_views.share_id
    left join title_views on window_ends.share_id = title_views.share_id
)

select * from final
