{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_key',
) }}

{#
    One row per user of every type, with the day the user's retention clock starts
    (cohort_date: the signup day for accounts, the first active day for web-tool users
    and clients) and the segments retention is cut by. Segments of web-tool users and
    clients are those of their first active day. (The end of each type's data is
    int_user_type_data_ends_computed: kept out of this table, which would otherwise
    change on every row every day.)

    Incremental: a user's cohort day and segments are fixed by its first active day (the
    signup, for an account). Events land at most var('late_arrival_lookback_days') late,
    so a run recomputes, per user type, only the users whose cohort day is on or after
    the latest cohort day built less that many days (new users, and users a late event
    gives an earlier first day), from the events of those days only.
#}

with

{% if is_incremental() -%}
    -- Per user type already built, the first cohort day to recompute (the latest cohort
    -- day built is on or before the end of the data built, so this is early enough).
    cutoffs as (
        select
            user_type,
            {{ lookback_start('max(cohort_date)') }} as cutoff_date
        from {{ this }}
        group by 1
    ),
{%- endif %}

accounts as (
    select
        enriched_accounts.user_id,
        enriched_accounts.signup_date,
        enriched_accounts.creation_source
    from {{ ref('int_accounts_enriched') }} as enriched_accounts
    {%- if is_incremental() %}
    left join cutoffs on cutoffs.user_type = 'account'
    where cutoffs.cutoff_date is null or enriched_accounts.signup_date >= cutoffs.cutoff_date
    {%- endif %}
),

user_days as (
    select
        user_key,
        user_type,
        user_id,
        customer_code,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

page_events as (
    select
        deduplicated_page_events.user_id,
        deduplicated_page_events.os_family,
        deduplicated_page_events.browser_family,
        deduplicated_page_events.device_type,
        deduplicated_page_events.plan,
        deduplicated_page_events.occurred_at
    from {{ ref('int_page_events_deduplicated') }} as deduplicated_page_events
    {%- if is_incremental() %}
    left join cutoffs on cutoffs.user_type = 'web_user'
    where
        cutoffs.cutoff_date is null
        or deduplicated_page_events.activity_date >= cutoffs.cutoff_date
    {%- endif %}
),

views as (
    select
        deduplicated_views.view_id,
        deduplicated_views.customer_code,
        deduplicated_views.client_id,
        deduplicated_views.os_family,
        deduplicated_views.browser_family,
        deduplicated_views.device_type,
        deduplicated_views.viewed_date,
        deduplicated_views.viewed_at
    from {{ ref('int_views_deduplicated') }} as deduplicated_views
    {%- if is_incremental() %}
    left join cutoffs on cutoffs.user_type = 'client'
    where cutoffs.cutoff_date is null or deduplicated_views.viewed_date >= cutoffs.cutoff_date
    {%- endif %}
),

customers as (
    select
        customer_code,
        industry
    from {{ ref('int_customers_unioned') }}
),

first_page_events as (
    select
        user_id,
        os_family,
        browser_family,
        device_type,
        plan,
        row_number() over (partition by user_id order by occurred_at) as event_rank
    from page_events
),

first_views as (
    select
        customer_code,
        client_id,
        os_family,
        browser_family,
        device_type,
        row_number() over (
            partition by customer_code, client_id
            order by viewed_date, viewed_at, view_id
        ) as view_rank
    from views
),

-- The users to compute: on an incremental run, those first active on or after their
-- type's cutoff (all their events are then among the events read above).
first_days as (
    select
        user_days.user_key,
        user_days.user_type,
        user_days.user_id,
        user_days.customer_code,
        {%- if is_incremental() %}
            cutoffs.cutoff_date,
        {%- endif %}
        min(user_days.activity_date) as first_active_date
    from user_days
    {%- if is_incremental() %}
    left join cutoffs on user_days.user_type = cutoffs.user_type
    group by 1, 2, 3, 4, 5
    having
        cutoffs.cutoff_date is null
        or min(user_days.activity_date) >= cutoffs.cutoff_date
    {%- else %}
        group by 1, 2, 3, 4
    {%- endif %}
),

account_cohorts as (
    select
        {{ user_key(
            "'account'",
            'cast(null as ' ~ dbt.type_string() ~ ')',
            'cast(accounts.user_id as ' ~ dbt.type_string() ~ ')',
        ) }} as user_key,
        'account' as user_type,
        accounts.signup_date as cohort_date,
        accounts.creation_source,
        cast(null as {{ dbt.type_string() }}) as os_family,
        cast(null as {{ dbt.type_string() }}) as browser_family,
        cast(null as {{ dbt.type_string() }}) as device_type,
        cast(null as {{ dbt.type_string() }}) as plan,
        cast(null as {{ dbt.type_string() }}) as customer_code
    from accounts
),

web_user_cohorts as (
    select
        first_days.user_key,
        first_days.user_type,
        first_days.first_active_date as cohort_date,
        cast(null as {{ dbt.type_string() }}) as creation_source,
        first_page_events.os_family,
        first_page_events.browser_family,
        first_page_events.device_type,
        first_page_events.plan,
        cast(null as {{ dbt.type_string() }}) as customer_code
    from first_days
    inner join first_page_events
        on
            first_days.user_id = first_page_events.user_id
            and first_page_events.event_rank = 1
    where first_days.user_type = 'web_user'
),

client_cohorts as (
    select
        first_days.user_key,
        first_days.user_type,
        first_days.first_active_date as cohort_date,
        cast(null as {{ dbt.type_string() }}) as creation_source,
        first_views.os_family,
        first_views.browser_family,
        first_views.device_type,
        cast(null as {{ dbt.type_string() }}) as plan,
        first_days.customer_code
    from first_days
    inner join first_views
        on
            first_days.customer_code = first_views.customer_code
            and first_days.user_id = first_views.client_id
            and first_views.view_rank = 1
    where first_days.user_type = 'client'
),

cohorts as (
    select * from account_cohorts
    union all
    select * from web_user_cohorts
    union all
    select * from client_cohorts
),

final as (
    select
        cohorts.*,
        customers.industry
    from cohorts
    left join customers on cohorts.customer_code = customers.customer_code
)

select * from final
