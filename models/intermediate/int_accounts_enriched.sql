{#
    One row per product account: signup cohort (day, week, month), how and from where it
    signed up, who invited it and whether that inviter is itself an adopted user. No
    personal data: the email survives only as its domain.
#}

with

users as (
    select
        user_id,
        org_id,
        invited_by_user_id,
        email_domain,
        creation_source,
        is_opted_in_to_mailing_list,
        is_enabled_for_marketing_drip,
        is_invited,
        created_at
    from {{ ref('stg_product__users') }}
    where not is_exact_duplicate
),

adoption as (
    select
        user_id,
        signup_date,
        adopted_on
    from {{ ref('int_accounts_adoption_computed') }}
),

org_sizes as (
    select
        org_id,
        count(*) as org_users
    from users
    where org_id is not null
    group by 1
),

final as (
    select
        users.user_id,
        users.org_id,
        org_sizes.org_users,
        users.invited_by_user_id,
        users.email_domain,
        users.creation_source,
        users.is_opted_in_to_mailing_list,
        users.is_enabled_for_marketing_drip,
        users.is_invited,
        inviters.user_id is not null as is_inviter_known,
        coalesce(inviters.adopted_on is not null, false) as is_inviter_adopted,
        inviters.adopted_on as inviter_adopted_on,
        {{ to_report_time('users.created_at') }} as created_at,
        adoption.signup_date,
        {{ week_start('adoption.signup_date') }} as signup_week,
        cast({{ dbt.date_trunc('month', 'adoption.signup_date') }} as date) as signup_month
    from users
    inner join adoption on users.user_id = adoption.user_id
    left join org_sizes on users.org_id = org_sizes.org_id
    left join adoption as inviters on users.invited_by_user_id = inviters.user_id
)

select * from final
