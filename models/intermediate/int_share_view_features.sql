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

    How the counts are computed: per RM, client and title, from a start time on (the
    earliest share this run computes of that RM, client or title), a running count over
    the events at or after the start, plus the events of the key before it, counted
    once. A full build computes every share (its starts are each key's first share).
    Incremental: a run computes again the shares a new file can change, and replaces
    them (delete+insert on share_id). New files are those this table holds no share of
    yet (a file without a share is read again on later runs, to the same rows). A new
    record changes: the shares of its customer, client and title (key), whose links and
    first views it can change; the later shares of the same RM (earlier shares viewed),
    client and title (earlier shares and views); and the shares still open, whose
    window may close as the customer's data end moves on.
#}

-- depends_on: {{ ref('int_share_view_activities_enriched') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='share_id',
) }}

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

{% if is_incremental() -%}
    records as (
        select
            source_file,
            activity_id,
            activity_type,
            customer_code,
            relationship_manager_id,
            client_id,
            content_title,
            case
                when activity_type = 'SHARE' then shared_at_local else last_activity_at_local
            end as event_at
        from {{ ref('int_share_view_activities_enriched') }}
    ),

    -- A row's file: its id ("file:line") without the line.
    built_files as (
        select distinct regexp_replace(share_id, ':[0-9]+$', '') as source_file
        from {{ this }}
    ),

    new_records as (
        select * from records
        where source_file not in (select built_files.source_file from built_files)
    ),

    changed_keys as (
        select distinct
            customer_code,
            client_id,
            content_title
        from new_records
        where client_id is not null and content_title is not null
    ),

    -- Shares whose own fields change: new shares and the shares of changed keys.
    changed_shares as (
        select shares.*
        from shares
        inner join new_records on shares.share_id = new_records.activity_id
        union
        select shares.*
        from shares
        inner join changed_keys
            on
                shares.customer_code = changed_keys.customer_code
                and shares.client_id = changed_keys.client_id
                and shares.content_title = changed_keys.content_title
    ),

    -- From when the counts of an RM, client or title change: the RM's from its earliest
    -- changed share (an earlier share viewed, or a new one), the client's and the
    -- title's from their earliest new share or view.
    rm_changes as (
        select
            customer_code,
            relationship_manager_id,
            min(shared_at) as changed_from_at
        from changed_shares
        where relationship_manager_id is not null
        group by 1, 2
    ),

    client_changes as (
        select
            customer_code,
            client_id,
            min(event_at) as changed_from_at
        from new_records
        where client_id is not null and event_at is not null
        group by 1, 2
    ),

    title_changes as (
        select
            customer_code,
            content_title,
            min(event_at) as changed_from_at
        from new_records
        where content_title is not null and event_at is not null
        group by 1, 2
    ),

    recomputed_ids as (
        select share_id from changed_shares
        union
        select shares.share_id
        from shares
        inner join rm_changes
            on
                shares.customer_code = rm_changes.customer_code
                and shares.relationship_manager_id = rm_changes.relationship_manager_id
        where shares.shared_at >= rm_changes.changed_from_at
        union
        select shares.share_id
        from shares
        inner join client_changes
            on
                shares.customer_code = client_changes.customer_code
                and shares.client_id = client_changes.client_id
        where shares.shared_at >= client_changes.changed_from_at
        union
        select shares.share_id
        from shares
        inner join title_changes
            on
                shares.customer_code = title_changes.customer_code
                and shares.content_title = title_changes.content_title
        where shares.shared_at >= title_changes.changed_from_at
        union
        select share_id from {{ this }}
        where is_open
    ),
{%- endif %}

-- The shares whose row this run computes: all, or on an incremental run those a new
-- file can change.
recomputed_shares as (
    select * from shares
    {%- if is_incremental() %}
        where share_id in (select recomputed_ids.share_id from recomputed_ids)
    {%- endif %}
),

-- Each "earlier" count below is a running count in time order within one key (RM,
-- client or title), not a self-join on "earlier than": a join on the key and
-- shared_at > earlier time pairs every share with every earlier event of its key, which
-- grows with the square of a popular title's views. At equal times a share sorts before
-- the events, so only strictly earlier events count. Null keys match nothing. The
-- running count starts at the key's earliest recomputed share (start_at); what came
-- before it is counted once per key (the *_before columns).

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

rm_starts as (
    select
        customer_code,
        relationship_manager_id,
        min(shared_at) as start_at
    from recomputed_shares
    where relationship_manager_id is not null
    group by 1, 2
),

rm_events_split as (
    select
        rm_events.*,
        rm_events.event_at >= rm_starts.start_at as is_from_start
    from rm_events
    inner join rm_starts
        on
            rm_events.customer_code = rm_starts.customer_code
            and rm_events.relationship_manager_id = rm_starts.relationship_manager_id
),

rm_before as (
    select
        customer_code,
        relationship_manager_id,
        count(share_id) as rm_shares_before,
        cast(sum(is_viewed_event) as {{ dbt.type_bigint() }}) as rm_viewed_shares_before
    from rm_events_split
    where not is_from_start
    group by 1, 2
),

rm_events_counted as (
    select
        share_id,
        customer_code,
        relationship_manager_id,
        is_viewed_event,
        {{ count_flagged_before('is_viewed_event', ['customer_code', 'relationship_manager_id']) }}
            as rm_viewed_shares_since_start,
        rank() over (
            partition by customer_code, relationship_manager_id, is_viewed_event
            order by event_at
        ) - 1 as rm_shares_since_start
    from rm_events_split
    where is_from_start
),

-- Per share, the RM's shares sent, and viewed, before it was sent.
rm_history as (
    select
        rm_events_counted.share_id,
        coalesce(rm_before.rm_shares_before, 0) + rm_events_counted.rm_shares_since_start
            as rm_prior_shares,
        coalesce(rm_before.rm_viewed_shares_before, 0)
        + rm_events_counted.rm_viewed_shares_since_start as rm_prior_viewed_shares
    from rm_events_counted
    left join rm_before
        on
            rm_events_counted.customer_code = rm_before.customer_code
            and rm_events_counted.relationship_manager_id = rm_before.relationship_manager_id
    where rm_events_counted.is_viewed_event = 0
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

client_starts as (
    select
        customer_code,
        client_id,
        min(shared_at) as start_at
    from recomputed_shares
    where client_id is not null
    group by 1, 2
),

client_events_split as (
    select
        client_events.*,
        client_events.event_at >= client_starts.start_at as is_from_start
    from client_events
    inner join client_starts
        on
            client_events.customer_code = client_starts.customer_code
            and client_events.client_id = client_starts.client_id
),

client_before as (
    select
        customer_code,
        client_id,
        count(share_id) as client_shares_before,
        cast(sum(is_view) as {{ dbt.type_bigint() }}) as client_views_before
    from client_events_split
    where not is_from_start
    group by 1, 2
),

client_events_counted as (
    select
        share_id,
        customer_code,
        client_id,
        is_view,
        {{ count_flagged_before('is_view', ['customer_code', 'client_id']) }}
            as client_views_since_start,
        rank() over (
            partition by customer_code, client_id, is_view
            order by event_at
        ) - 1 as client_shares_since_start
    from client_events_split
    where is_from_start
),

-- Per share, the client's shares and views before it was sent.
client_history as (
    select
        client_events_counted.share_id,
        coalesce(client_before.client_shares_before, 0)
        + client_events_counted.client_shares_since_start as client_prior_shares,
        coalesce(client_before.client_views_before, 0)
        + client_events_counted.client_views_since_start as client_prior_views
    from client_events_counted
    left join client_before
        on
            client_events_counted.customer_code = client_before.customer_code
            and client_events_counted.client_id = client_before.client_id
    where client_events_counted.is_view = 0
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

title_starts as (
    select
        customer_code,
        content_title,
        min(shared_at) as start_at
    from recomputed_shares
    where content_title is not null
    group by 1, 2
),

title_events_split as (
    select
        title_events.*,
        title_events.event_at >= title_starts.start_at as is_from_start
    from title_events
    inner join title_starts
        on
            title_events.customer_code = title_starts.customer_code
            and title_events.content_title = title_starts.content_title
),

title_before as (
    select
        customer_code,
        content_title,
        cast(sum(is_view) as {{ dbt.type_bigint() }}) as title_views_before
    from title_events_split
    where not is_from_start
    group by 1, 2
),

title_events_counted as (
    select
        share_id,
        customer_code,
        content_title,
        is_view,
        {{ count_flagged_before('is_view', ['customer_code', 'content_title']) }}
            as title_views_since_start
    from title_events_split
    where is_from_start
),

-- Per share, the title's views before it was sent.
title_history as (
    select
        title_events_counted.share_id,
        coalesce(title_before.title_views_before, 0)
        + title_events_counted.title_views_since_start as title_prior_views
    from title_events_counted
    left join title_before
        on
            title_events_counted.customer_code = title_before.customer_code
            and title_events_counted.content_title = title_before.content_title
    where title_events_counted.is_view = 0
),

window_ends as (
    select
        recomputed_shares.*,
        data_ends.data_end_at,
        {{ dbt.dateadd('day', var('share_view_window_days'), 'recomputed_shares.shared_at') }}
            as window_end_at
    from recomputed_shares
    inner join data_ends on recomputed_shares.customer_code = data_ends.customer_code
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
        coalesce(client_history.client_prior_shares, 0) as client_prior_shares,
        coalesce(client_history.client_prior_views, 0) as client_prior_views,
        coalesce(title_history.title_prior_views, 0) as title_prior_views,
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
    left join client_history on window_ends.share_id = client_history.share_id
    left join title_history on window_ends.share_id = title_history.share_id
)

select * from final
