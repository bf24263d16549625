{#
    One row per account and cut-off (var adoption_cutoff_days: days after signup) that
    the data reaches (int_account_cutoffs_reached). Accounts that adopted before the
    cut-off are flagged (is_adopted_before_cutoff): the models train and test only the
    others. Each row holds what was known strictly before the cut-off day, and the label
    "adopts within adoption_horizon_days of signup" (null when the horizon lies beyond
    the data; such rows are not trained on, and scored at the account's latest cut-off
    unless is_adopted_so_far: adopted by the end of the data). horizon_end_date is the
    last day the label looks at. is_adopted_so_far and horizon_end_date are not
    features: they say which rows are decided and when a label is settled. Point in
    time: activity, the org's adoption (int_org_adoption_counted) and the
    inviter's adoption count only before cutoff_date. last_session_creation_time records
    the future and is never used.
#}

{% set public_domains = "'" ~ var('public_email_domains') | join("', '") ~ "'" %}

with

account_cutoffs as (
    select
        user_id,
        cutoff_days,
        cutoff_date,
        signup_date,
        adopted_on,
        days_to_adoption,
        horizon_end_date,
        data_end_date
    from {{ ref('int_account_cutoffs_reached') }}
),

accounts as (
    select
        user_id,
        invited_by_user_id,
        email_domain,
        creation_source,
        is_opted_in_to_mailing_list,
        is_enabled_for_marketing_drip,
        is_invited,
        created_at
    from {{ ref('int_accounts_enriched') }}
),

adoption as (
    select
        user_id,
        adopted_on
    from {{ ref('int_accounts_adoption_computed') }}
),

org_adoption as (
    select
        user_id,
        cutoff_days,
        org_members,
        org_adopted_members
    from {{ ref('int_org_adoption_counted') }}
),

account_days as (
    select
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        activity_date,
        login_count
    from {{ ref('int_user_days_aggregated') }}
    where user_type = 'account'
),

activity_before_cutoff as (
    select
        account_cutoffs.user_id,
        account_cutoffs.cutoff_days,
        count(*) as active_days,
        count(
            case
                when account_days.activity_date >= {{ dbt.dateadd('day',
                    1 - var('adoption_window_days'), 'account_cutoffs.cutoff_date') }}
                    then 1
            end
        ) as active_days_in_window,
        sum(account_days.login_count) as logins,
        max(account_days.activity_date) as last_active_date
    from account_cutoffs
    inner join account_days
        on
            account_cutoffs.user_id = account_days.user_id
            and account_cutoffs.signup_date <= account_days.activity_date
            and account_cutoffs.cutoff_date > account_days.activity_date
    group by 1, 2
),

final as (
    select
        account_cutoffs.user_id,
        account_cutoffs.cutoff_days,
        account_cutoffs.cutoff_date,
        account_cutoffs.signup_date,
        coalesce(account_cutoffs.adopted_on < account_cutoffs.cutoff_date, false)
            as is_adopted_before_cutoff,
        accounts.creation_source,
        case
            when accounts.email_domain is null then 'unknown'
            when accounts.email_domain in ({{ public_domains }}) then accounts.email_domain
            else 'corporate'
        end as email_domain_group,
        accounts.is_invited,
        coalesce(inviters.adopted_on < account_cutoffs.cutoff_date, false)
            as is_inviter_adopted,
        accounts.is_opted_in_to_mailing_list,
        accounts.is_enabled_for_marketing_drip,
        coalesce(org_adoption.org_members, 0) as org_members_before_cutoff,
        cast(org_adoption.org_adopted_members as double)
        / nullif(org_adoption.org_members, 0) as org_adoption_rate_before_cutoff,
        cast(extract(hour from accounts.created_at) as integer) as signup_hour,
        {{ iso_weekday('account_cutoffs.signup_date') }} as signup_weekday,
        coalesce(activity_before_cutoff.active_days, 0) as active_days_before_cutoff,
        coalesce(activity_before_cutoff.active_days_in_window, 0)
            as active_days_in_last_window,
        coalesce(activity_before_cutoff.logins, 0) as logins_before_cutoff,
        {{ dbt.datediff(
            'activity_before_cutoff.last_active_date', 'account_cutoffs.cutoff_date', 'day'
        ) }} as days_since_last_active,
        account_cutoffs.horizon_end_date,
        account_cutoffs.adopted_on is not null as is_adopted_so_far,
        case
            when account_cutoffs.horizon_end_date > account_cutoffs.data_end_date then null
            when account_cutoffs.days_to_adoption < {{ var('adoption_horizon_days') }} then true
            else false
        end as adopts_within_horizon
    from account_cutoffs
    inner join accounts on account_cutoffs.user_id = accounts.user_id
    left join activity_before_cutoff
        on
            account_cutoffs.user_id = activity_before_cutoff.user_id
            and account_cutoffs.cutoff_days = activity_before_cutoff.cutoff_days
    left join org_adoption
        on
            account_cutoffs.user_id = org_adoption.user_id
            and account_cutoffs.cutoff_days = org_adoption.cutoff_days
    left join adoption as inviters on accounts.invited_by_user_id = inviters.user_id
)

select * from final
