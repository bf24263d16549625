{#
    One row per share (int_shares_deduplicated): what was known when it was sent,
    and whether the client viewed it within share_view_window_days. Point in time: the
    RM's earlier shares and how many of them had been viewed by then, the client's
    earlier shares and views, and the title's earlier views count only what happened
    strictly before shared_at. The label is null while the window is still open at the
    end of the customer's data, viewed yet or not (an open share: not trained on; scored
    while is_viewed_so_far is false), and when the export says viewed but neither a
    linked view nor the last activity dates the first view. window_end_at is when the
    label is settled (training stops one window before the test period).
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
    from {{ ref('int_shares_deduplicated') }}
    where shared_at is not null
),

views as (
    select
        customer_code,
        client_id,
        content_title,
        viewed_at
    from {{ ref('int_views_deduplicated') }}
    where viewed_at is not null
),

data_ends as (
    select
        customer_code,
        max(last_activity_at) as data_end_at
    from {{ ref('int_shares_deduplicated') }}
    group by 1
),

-- Each "earlier" count below is a running count in time order within one key (RM,
-- client or title), not a self-join on "earlier than": a join on the key and
-- shared_at > earlier time pairs every share with every earlier event of its key, which
-- grows with the square of a popular title's views. At equal times a share sorts before
-- the events, so only strictly earlier events count. Null keys match nothing.

-- An earlier share of the RM counts as viewed by shared_at when both its shared_at and
-- its first_view_at are before it: one time, the later of the two.
rm_events as (
    select
        share_id,
        customer_code,
        relationship_manager_id,
        shared_at as event_at,
        0 as is_viewed_event
    from shares
    where relationship_manager_id is not null
    union all
    select
        null as share_id,
        customer_code,
        relationship_manager_id,
        case
            when first_view_at > shared_at then first_view_at else shared_at
        end as event_at,
        1 as is_viewed_event
    from shares
    where relationship_manager_id is not null and first_view_at is not null
),

rm_events_counted as (
    select
        share_id,
        is_viewed_event,
        {{ count_flagged_before('is_viewed_event', ['customer_code', 'relationship_manager_id']) }}
            as rm_prior_viewed_shares
    from rm_events
),

-- Per share, the RM's shares viewed before it was sent.
rm_viewed as (
    select
        share_id,
        rm_prior_viewed_shares
    from rm_events_counted
    where is_viewed_event = 0
),

rm_history as (
    select
        shares.share_id,
        rank() over (
            partition by shares.customer_code, shares.relationship_manager_id
            order by shares.shared_at
        ) - 1 as rm_prior_shares,
        rm_viewed.rm_prior_viewed_shares
    from shares
    inner join rm_viewed on shares.share_id = rm_viewed.share_id
),

client_shares as (
    select
        share_id,
        rank() over (
            partition by customer_code, client_id
            order by shared_at
        ) - 1 as client_prior_shares
    from shares
    where client_id is not null
),

client_events as (
    select
        share_id,
        customer_code,
        client_id,
        shared_at as event_at,
        0 as is_view
    from shares
    where client_id is not null
    union all
    select
        null as share_id,
        customer_code,
        client_id,
        viewed_at as event_at,
        1 as is_view
    from views
    where client_id is not null
),

client_events_counted as (
    select
        share_id,
        is_view,
        {{ count_flagged_before('is_view', ['customer_code', 'client_id']) }} as client_prior_views
    from client_events
),

client_views as (
    select
        share_id,
        client_prior_views
    from client_events_counted
    where is_view = 0
),

title_events as (
    select
        share_id,
        customer_code,
        content_title,
        shared_at as event_at,
        0 as is_view
    from shares
    where content_title is not null
    union all
    select
        null as share_id,
        customer_code,
        content_title,
        viewed_at as event_at,
        1 as is_view
    from views
    where content_title is not null
),

title_events_counted as (
    select
        share_id,
        is_view,
        {{ count_flagged_before('is_view', ['customer_code', 'content_title']) }}
            as title_prior_views
    from title_events
),

title_views as (
    select
        share_id,
        title_prior_views
    from title_events_counted
    where is_view = 0
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
        window_ends.window_end_at,
        window_ends.window_end_at > window_ends.data_end_at as is_open,
        coalesce(window_ends.is_viewed, false)
        or window_ends.first_view_at is not null as is_viewed_so_far,
        case
            when window_ends.window_end_at > window_ends.data_end_at then null
            when window_ends.first_view_at <= window_ends.window_end_at then true
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
