{{ config(materialized='table') }}

{#
    One row per account and cut-off (var adoption_cutoff_days: days after signup) that
    the data reaches. Accounts that adopted before the cut-off are flagged
    (is_adopted_before_cutoff): the models train and test only the others. Each row
    holds what was known strictly before the cut-off day, and the label "adopts within
    adoption_horizon_days of signup" (null when the horizon lies beyond the data; such
    rows are not trained on, and scored at the account's latest cut-off unless
    is_adopted_so_far: adopted by the end of the data). horizon_end_date is the last day
    the label looks at. is_adopted_so_far and horizon_end_date are not features: they
    say which rows are decided and when a label is settled. Point in time: activity, the
    org's adoption and the inviter's adoption count only before cutoff_date.
    last_session_creation_time records the future and is never used.
#}

{% set public_domains = "'" ~ var('public_email_domains') | join("', '") ~ "'" %}

with

cutoffs as (
    {% for days in var('adoption_cutoff_days') %}
        select {{ days }} as cutoff_days
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

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
        created_at,
        signup_date
    from {{ ref('int_accounts_enriched') }}
),

adoption as (
    select
        user_id,
        adopted_on
    from {{ ref('int_accounts_adoption_computed') }}
),

account_days as (
    select
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        activity_date,
        login_count
    from {{ ref('int_user_days_aggregated') }}
    where user_type = 'account'
),

data_end as (
    select data_end_date from {{ ref('int_user_type_data_ends') }}
    where user_type = 'account'
),

-- Every account with its adoption date: the org members of the counts below.
users_adopted as (
    select
        users.*,
        adoption.adopted_on
    from users
    inner join adoption on users.user_id = adoption.user_id
),

user_cutoffs as (
    select
        users.*,
        adoption.adopted_on,
        cutoffs.cutoff_days,
        cast({{ dbt.dateadd('day', 'cutoffs.cutoff_days', 'users.signup_date') }} as date)
            as cutoff_date,
        data_end.data_end_date,
        cast(
            {{ dbt.dateadd('day', var('adoption_horizon_days') - 1, 'users.signup_date') }} as date
        ) as horizon_end_date,
        {{ dbt.datediff('users.signup_date', 'adoption.adopted_on', 'day') }}
            as days_to_adoption
    from users
    inner join adoption on users.user_id = adoption.user_id
    cross join cutoffs
    cross join data_end
),

eligible as (
    select *
    from user_cutoffs
    where cutoff_date <= data_end_date
),

activity_before_cutoff as (
    select
        eligible.user_id,
        eligible.cutoff_days,
        count(*) as active_days,
        count(
            case
                when account_days.activity_date >= {{ dbt.dateadd('day',
                    1 - var('adoption_window_days'), 'eligible.cutoff_date') }}
                    then 1
            end
        ) as active_days_in_window,
        sum(account_days.login_count) as logins,
        max(account_days.activity_date) as last_active_date
    from eligible
    inner join account_days
        on
            eligible.user_id = account_days.user_id
            and eligible.signup_date <= account_days.activity_date
            and eligible.cutoff_date > account_days.activity_date
    group by 1, 2
),

-- The other members of the user's org who signed up before the cut-off, and how many of
-- them had adopted by then: a running count in date order within the org (one row per
-- member's signup and one per adoption, at the later of signup and adoption date), read
-- at each cut-off, minus the user's own row. A self-join of the org's members instead
-- pairs every member with every other, which grows with the square of an org's size.
-- At equal dates a cut-off sorts first: only strictly earlier dates count.
org_events as (
    select
        org_id,
        signup_date as event_date,
        1 as event_order,
        1 as is_member,
        0 as is_adopted,
        null as user_id,
        null as cutoff_days
    from users_adopted
    where org_id is not null and signup_date is not null
    union all
    select
        org_id,
        case when adopted_on > signup_date then adopted_on else signup_date end as event_date,
        1 as event_order,
        0 as is_member,
        1 as is_adopted,
        null as user_id,
        null as cutoff_days
    from users_adopted
    where org_id is not null and signup_date is not null and adopted_on is not null
    union all
    select
        org_id,
        cutoff_date as event_date,
        0 as event_order,
        0 as is_member,
        0 as is_adopted,
        user_id,
        cutoff_days
    from eligible
    where org_id is not null and cutoff_date is not null
),

org_counts as (
    select
        user_id,
        cutoff_days,
        event_order,
        sum(is_member) over (
            partition by org_id
            order by event_date, event_order
            rows between unbounded preceding and current row
        ) as members_before,
        sum(is_adopted) over (
            partition by org_id
            order by event_date, event_order
            rows between unbounded preceding and current row
        ) as adopted_before
    from org_events
),

org_before_cutoff as (
    select
        eligible.user_id,
        eligible.cutoff_days,
        cast(
            org_counts.members_before
            - case when eligible.signup_date < eligible.cutoff_date then 1 else 0 end
            as {{ dbt.type_bigint() }}
        ) as org_members,
        cast(
            org_counts.adopted_before
            - case
                when
                    eligible.signup_date < eligible.cutoff_date
                    and eligible.adopted_on < eligible.cutoff_date
                    then 1
                else 0
            end
            as {{ dbt.type_bigint() }}
        ) as org_adopted_members
    from eligible
    inner join org_counts
        on
            eligible.user_id = org_counts.user_id
            and eligible.cutoff_days = org_counts.cutoff_days
    where org_counts.event_order = 0
),

final as (
    select
        eligible.user_id,
        eligible.cutoff_days,
        eligible.cutoff_date,
        eligible.signup_date,
        coalesce(eligible.adopted_on < eligible.cutoff_date, false) as is_adopted_before_cutoff,
        eligible.creation_source,
        case
            when eligible.email_domain is null then 'unknown'
            when eligible.email_domain in ({{ public_domains }}) then eligible.email_domain
            else 'corporate'
        end as email_domain_group,
        eligible.is_invited,
        coalesce(inviters.adopted_on < eligible.cutoff_date, false) as is_inviter_adopted,
        eligible.is_opted_in_to_mailing_list,
        eligible.is_enabled_for_marketing_drip,
        coalesce(org_before_cutoff.org_members, 0) as org_members_before_cutoff,
        cast(org_before_cutoff.org_adopted_members as double)
        / nullif(org_before_cutoff.org_members, 0) as org_adoption_rate_before_cutoff,
        cast(extract(hour from eligible.created_at) as integer) as signup_hour,
        {{ iso_weekday('eligible.signup_date') }} as signup_weekday,
        coalesce(activity_before_cutoff.active_days, 0) as active_days_before_cutoff,
        coalesce(activity_before_cutoff.active_days_in_window, 0)
            as active_days_in_last_window,
        coalesce(activity_before_cutoff.logins, 0) as logins_before_cutoff,
        {{ dbt.datediff('activity_before_cutoff.last_active_date', 'eligible.cutoff_date', 'day') }}
            as days_since_last_active,
        eligible.horizon_end_date,
        eligible.adopted_on is not null as is_adopted_so_far,
        case
            when eligible.horizon_end_date > eligible.data_end_date then null
            else coalesce(eligible.days_to_adoption < {{ var('adoption_horizon_days') }}, false)
        end as adopts_within_horizon
    from eligible
    left join activity_before_cutoff
        on
            eligible.user_id = activity_before_cutoff.user_id
            and eligible.cutoff_days = activity_before_cutoff.cutoff_days
    left join org_before_cutoff
        on
            eligible.user_id = org_before_cutoff.user_id
            and eligible.cutoff_days = org_before_cutoff.cutoff_days
    left join adoption as inviters on eligible.invited_by_user_id = inviters.user_id
)

select * from final
