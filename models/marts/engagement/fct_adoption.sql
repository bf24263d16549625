{#
    One row per product account, adopted or not: whether and when it adopted (var
    adoption_min_days active days within adoption_window_days), days from signup to
    adoption, first and last active day, active days in total, and the signup attributes
    that BI slices by.
#}

with

adoption as (
    select * from {{ ref('int_accounts_adoption_computed') }}
),

users as (
    select
        user_id,
        signup_week,
        signup_month,
        creation_source,
        email_domain,
        org_id,
        is_invited,
        is_inviter_adopted,
        is_opted_in_to_mailing_list,
        is_enabled_for_marketing_drip
    from {{ ref('int_accounts_enriched') }}
),

final as (
    select
        adoption.user_id,
        adoption.is_adopted,
        adoption.adopted_on,
        {{ dbt.datediff('adoption.signup_date', 'adoption.adopted_on', 'day') }}
            as days_from_signup_to_adoption,
        adoption.signup_date,
        users.signup_week,
        users.signup_month,
        adoption.first_active_date,
        adoption.last_active_date,
        adoption.active_days,
        adoption.active_days_before_signup,
        users.creation_source,
        users.email_domain,
        users.org_id,
        users.is_invited,
        users.is_inviter_adopted,
        users.is_opted_in_to_mailing_list,
        users.is_enabled_for_marketing_drip
    from adoption
    inner join users on adoption.user_id = users.user_id
)

select * from final
