{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['source_file', 'source_line'],
) }}

{#
    One row per staged VIEW record that links to a share: the share it is taken to
    come from. VIEW records carry no Shared Date/Time, RM or channel, so the link is
    the latest SHARE of the same customer, client and content title sent at or before
    the view; among shares of that key sent at the same moment, the first copy (by
    file and line). A view with no such share (content browsed directly, a viewer
    outside the sharing records, a view before any share) has no row here, nor has a
    view without a time. Incremental: a link depends only on the records of its
    customer, client and title (its key), so a run recomputes the views of the keys that
    have a record in a file this table holds no view of yet (new files; a file without
    a linked view is read again on later runs, to the same rows). Shares are only ever
    added, so a view linked once stays linked: its row is replaced, never dropped.
#}

with

{% if is_incremental() -%}
    built_files as (
        select distinct source_file from {{ this }}
    ),

    -- The keys with a record in a file not built yet: the links these records can change.
    changed_keys as (
        select distinct
            customer_code,
            client_id,
            content_title
        from {{ ref('stg_share_view__activities') }}
        where
            source_file not in (select built_files.source_file from built_files)
            and client_id is not null
            and content_title is not null
    ),
{%- endif %}

activities as (
    select
        source_file,
        source_line,
        activity_type,
        customer_code,
        client_id,
        content_title,
        relationship_manager_id,
        share_channel,
        shared_at,
        last_activity_at
    from {{ ref('stg_share_view__activities') }}
    where
        activity_type in ('SHARE', 'VIEW')
        and client_id is not null
        and content_title is not null
),

-- The records whose links this run computes: all, or on an incremental run every record
-- (old or new) of a changed key, the key's whole history.
recomputed_activities as (
    select activities.*
    from activities
    {%- if is_incremental() %}
        inner join changed_keys
            on
                activities.customer_code = changed_keys.customer_code
                and activities.client_id = changed_keys.client_id
                and activities.content_title = changed_keys.content_title
    {%- endif %}
),

share_copies as (
    select
        source_file,
        source_line,
        customer_code,
        client_id,
        content_title,
        relationship_manager_id,
        share_channel,
        shared_at,
        row_number() over (
            partition by customer_code, client_id, content_title, shared_at
            order by source_file, source_line
        ) as copy_number
    from recomputed_activities
    where activity_type = 'SHARE' and shared_at is not null
),

-- Equal candidates (same key, same moment): the first copy stands for them all.
shares as (
    select * from share_copies
    where copy_number = 1
),

views as (
    select
        source_file,
        source_line,
        customer_code,
        client_id,
        content_title,
        last_activity_at as viewed_at
    from recomputed_activities
    where activity_type = 'VIEW' and last_activity_at is not null
),

-- Shares and views of one key in time order; at the same moment the share comes first
-- ("at or before the view"). The running maximum of share times is the latest share
-- sent so far: an as-of join as a window, linear in the rows and portable.
key_events as (
    select
        customer_code,
        client_id,
        content_title,
        shared_at as event_at,
        0 as is_view,
        shared_at,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_bigint() }}) as source_line
    from shares
    union all
    select
        customer_code,
        client_id,
        content_title,
        viewed_at as event_at,
        1 as is_view,
        cast(null as {{ dbt.type_timestamp() }}) as shared_at,
        source_file,
        source_line
    from views
),

latest_shares as (
    select
        customer_code,
        client_id,
        content_title,
        is_view,
        source_file,
        source_line,
        max(shared_at) over (
            partition by customer_code, client_id, content_title
            order by event_at, is_view
            rows between unbounded preceding and current row
        ) as linked_shared_at
    from key_events
),

linked as (
    select
        latest_shares.source_file,
        latest_shares.source_line,
        {{ dbt.concat(['shares.source_file', "':'",
            'cast(shares.source_line as ' ~ dbt.type_string() ~ ')']) }} as share_id,
        shares.relationship_manager_id,
        shares.share_channel,
        shares.shared_at
    from latest_shares
    inner join shares
        on
            latest_shares.customer_code = shares.customer_code
            and latest_shares.client_id = shares.client_id
            and latest_shares.content_title = shares.content_title
            and latest_shares.linked_shared_at = shares.shared_at
    where latest_shares.is_view = 1
)

select * from linked
