{#
    Every user the exports name, of the three types, on the key that the user-day,
    user-week and window facts carry (user_key): accounts from the users export (active
    or not), web-tool users and clients from their activity, and clients who were sent
    content but never viewed it from the share records. Activity dates are null for a
    user never active.
#}

with

accounts as (
    select
        'account' as user_type,
        cast(null as {{ dbt.type_string() }}) as customer_code,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        signup_date
    from {{ ref('int_accounts_enriched') }}
),

active_users as (
    select
        user_key,
        user_type,
        customer_code,
        user_id,
        first_active_date
    from {{ ref('int_user_first_active_days_computed') }}
),

spines as (
    select
        user_key,
        last_active_date
    from {{ ref('int_user_spines_bounded') }}
),

share_recipients as (
    select distinct
        'client' as user_type,
        customer_code,
        client_id as user_id
    from {{ ref('int_shares_linked') }}
),

keyed_accounts as (
    select
        {{ user_key("user_type", "customer_code", "user_id") }} as user_key,
        user_type,
        customer_code,
        user_id
    from accounts
),

keyed_recipients as (
    select
        {{ user_key("user_type", "customer_code", "user_id") }} as user_key,
        user_type,
        customer_code,
        user_id
    from share_recipients
),

known_users as (
    select
        user_key,
        user_type,
        customer_code,
        user_id
    from keyed_accounts
    union
    select
        user_key,
        user_type,
        customer_code,
        user_id
    from active_users
    union
    select
        user_key,
        user_type,
        customer_code,
        user_id
    from keyed_recipients
),

final as (
    select
        known_users.user_key,
        known_users.user_type,
        known_users.customer_code,
        known_users.user_id,
        accounts.signup_date,
        active_users.first_active_date,
        spines.last_active_date,
        active_users.user_key is not null as is_ever_active
    from known_users
    left join active_users
        on known_users.user_key = active_users.user_key
    left join spines
        on known_users.user_key = spines.user_key
    -- on equal keys only: a constant in a left join's condition makes DuckDB compare
    -- every pair of rows
    left join accounts
        on
            known_users.user_type = accounts.user_type
            and known_users.user_id = accounts.user_id
)

select * from final
