{#
    One row per user of every type: the first active day the data shows, the first day
    of the export that user's activity comes from (the login export for accounts, the
    page-event export for web-tool users, the customer's share/view export for its
    clients), the account's signup day, and whether the first active day seen may not be
    the user's real first: is_in_burn_in when it falls within
    first_activity_burn_in_days of the export's start, unless the user is an account
    that signed up on or after that start (its signup is a true registration date, so
    nothing of it can precede the export). Users in the burn-in are left out of the
    "first day" models (int_return_features, the aha tables).
#}

with

user_days as (
    select
        user_key,
        user_type,
        user_id,
        customer_code,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

shares as (
    select
        customer_code,
        shared_date
    from {{ ref('int_shares_deduplicated') }}
),

accounts as (
    select
        user_id,
        signup_date
    from {{ ref('int_accounts_adoption_computed') }}
),

firsts as (
    select
        user_key,
        user_type,
        user_id,
        customer_code,
        min(activity_date) as first_active_date
    from user_days
    group by 1, 2, 3, 4
),

{# an export starts on its earliest record: its users' first active days (every
   event makes an active day), and for a customer's share/view export also the shares
   sent before its first view #}
export_days as (
    select
        user_type,
        customer_code,
        first_active_date as activity_date
    from firsts
    union all
    select
        'client' as user_type,
        customer_code,
        shared_date as activity_date
    from shares
),

export_starts as (
    select
        user_type,
        coalesce(customer_code, '') as export_key,
        min(activity_date) as export_start_date
    from export_days
    where activity_date is not null
    group by 1, 2
),

{# the user type as a column, so the join below is on equal keys only (a constant in
   a left join's condition makes DuckDB compare every pair of rows) #}
signups as (
    select
        'account' as user_type,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        signup_date
    from accounts
),

final as (
    select
        firsts.user_key,
        firsts.user_type,
        firsts.user_id,
        firsts.customer_code,
        firsts.first_active_date,
        export_starts.export_start_date,
        signups.signup_date,
        coalesce(signups.signup_date >= export_starts.export_start_date, false)
            as is_signup_in_export,
        firsts.first_active_date
        < {{ dbt.dateadd('day', var('first_activity_burn_in_days'),
            'export_starts.export_start_date') }}
        and not coalesce(signups.signup_date >= export_starts.export_start_date, false)
            as is_in_burn_in
    from firsts
    inner join export_starts
        on
            firsts.user_type = export_starts.user_type
            and coalesce(firsts.customer_code, '') = export_starts.export_key
    left join signups
        on
            firsts.user_type = signups.user_type
            and firsts.user_id = signups.user_id
)

select * from final
