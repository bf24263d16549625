{#
    One row per export (user type; for clients, per customer): the export's first day,
    the first day past its burn-in (first_activity_burn_in_days later), its users, how
    many of them were first seen in the burn-in, how many of those are accounts kept for
    a signup inside the export, and how many are left out of the "first day" models
    (int_return_features -> ml_return_*, and the aha tables): a user already active
    before the export looks new on its first days.
#}

with

users as (
    select
        user_type,
        customer_code,
        first_active_date,
        export_start_date,
        is_signup_in_export,
        is_in_burn_in,
        cast(
            {{ dbt.dateadd('day', var('first_activity_burn_in_days'), 'export_start_date') }}
            as date
        ) as burn_in_end_date
    from {{ ref('int_user_first_active_days_computed') }}
),

per_export as (
    select
        user_type,
        customer_code,
        export_start_date,
        burn_in_end_date,
        count(*) as users,
        count(case when first_active_date < burn_in_end_date then 1 end)
            as users_first_seen_in_burn_in,
        count(case when first_active_date < burn_in_end_date and is_signup_in_export then 1 end)
            as users_kept_for_signup_in_export,
        count(case when is_in_burn_in then 1 end) as users_left_out
    from users
    group by 1, 2, 3, 4
),

final as (
    select
        user_type,
        customer_code,
        export_start_date,
        burn_in_end_date,
        cast(users as {{ dbt.type_bigint() }}) as users,
        cast(users_first_seen_in_burn_in as {{ dbt.type_bigint() }}) as users_first_seen_in_burn_in,
        cast(users_kept_for_signup_in_export as {{ dbt.type_bigint() }})
            as users_kept_for_signup_in_export,
        cast(users_left_out as {{ dbt.type_bigint() }}) as users_left_out,
        cast(users_left_out as double) / users as share_left_out
    from per_export
)

select * from final
