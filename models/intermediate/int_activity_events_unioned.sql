{{ config(materialized='view') }}

{#
    One row per qualifying event of any user, from every source: an account's login, a
    web-tool user's page event, a client's view of shared content. Exact duplicate
    records are left out (export artefacts, not activity): here for logins, which only
    this model reads; page events and views come from their deduplicated bases
    (int_page_events_deduplicated, int_views_deduplicated). Times are wall-clock in
    var('report_time_zone'); a login exported as a bare date keeps its date and no time.
#}

with

logins as (
    select
        user_id,
        login_date,
        logged_in_at
    from {{ ref('stg_product__logins') }}
    where not is_exact_duplicate
),

page_events as (
    select
        user_id,
        page,
        occurred_at,
        activity_date
    from {{ ref('int_page_events_deduplicated') }}
),

views as (
    select
        customer_code,
        client_id,
        content_title,
        time_spent_seconds,
        viewed_at,
        viewed_date
    from {{ ref('int_views_deduplicated') }}
),

login_events as (
    select
        'account' as user_type,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(null as {{ dbt.type_string() }}) as customer_code,
        'login' as event_source,
        cast(null as {{ dbt.type_string() }}) as item,
        cast(null as double) as time_spent_seconds,
        {{ to_report_time('logged_in_at') }} as occurred_at,
        coalesce(cast({{ to_report_time('logged_in_at') }} as date), login_date) as activity_date
    from logins
),

page_event_events as (
    select
        'web_user' as user_type,
        user_id,
        cast(null as {{ dbt.type_string() }}) as customer_code,
        'page_event' as event_source,
        page as item,
        cast(null as double) as time_spent_seconds,
        occurred_at,
        activity_date
    from page_events
),

view_events as (
    select
        'client' as user_type,
        client_id as user_id,
        customer_code,
        'view' as event_source,
        content_title as item,
        time_spent_seconds,
        viewed_at as occurred_at,
        viewed_date as activity_date
    from views
),

unioned as (
    select * from login_events
    union all
    select * from page_event_events
    union all
    select * from view_events
),

keyed as (
    select
        {{ user_key() }}
            as user_key,
        *
    from unioned
)

select * from keyed
