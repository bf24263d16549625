{#
    One row per account in an org and cut-off of int_account_cutoffs_reached: how many
    other members of the account's org had signed up strictly before the cut-off day
    (org_members), and how many of them had adopted strictly before it
    (org_adopted_members). Point in time: nothing on or after the cut-off day counts.
#}

with

accounts as (
    select
        user_id,
        org_id,
        signup_date
    from {{ ref('int_accounts_enriched') }}
),

adoption as (
    select
        user_id,
        adopted_on
    from {{ ref('int_accounts_adoption_computed') }}
),

account_cutoffs as (
    select
        user_id,
        org_id,
        cutoff_days,
        cutoff_date,
        signup_date,
        adopted_on
    from {{ ref('int_account_cutoffs_reached') }}
    where org_id is not null and cutoff_date is not null
),

members as (
    select
        accounts.org_id,
        accounts.signup_date,
        adoption.adopted_on
    from accounts
    inner join adoption on accounts.user_id = adoption.user_id
    where accounts.org_id is not null and accounts.signup_date is not null
),

-- A running count in date order within the org: one row per member's signup and one
-- per adoption (at the later of signup and adoption date), read at each cut-off, minus
-- the account's own row. A self-join of the org's members instead pairs every member
-- with every other, which grows with the square of an org's size. At equal dates a
-- cut-off sorts first: only strictly earlier dates count.
org_events as (
    select
        org_id,
        signup_date as event_date,
        1 as event_order,
        1 as is_member,
        0 as is_adopted,
        null as user_id,
        null as cutoff_days
    from members
    union all
    select
        org_id,
        case when adopted_on > signup_date then adopted_on else signup_date end as event_date,
        1 as event_order,
        0 as is_member,
        1 as is_adopted,
        null as user_id,
        null as cutoff_days
    from members
    where adopted_on is not null
    union all
    select
        org_id,
        cutoff_date as event_date,
        0 as event_order,
        0 as is_member,
        0 as is_adopted,
        user_id,
        cutoff_days
    from account_cutoffs
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
        account_cutoffs.user_id,
        account_cutoffs.cutoff_days,
        cast(
            org_counts.members_before
            - case when account_cutoffs.signup_date < account_cutoffs.cutoff_date then 1 else 0 end
            as {{ dbt.type_bigint() }}
        ) as org_members,
        cast(
            org_counts.adopted_before
            - case
                when
                    account_cutoffs.signup_date < account_cutoffs.cutoff_date
                    and account_cutoffs.adopted_on < account_cutoffs.cutoff_date
                    then 1
                else 0
            end
            as {{ dbt.type_bigint() }}
        ) as org_adopted_members
    from account_cutoffs
    inner join org_counts
        on
            account_cutoffs.user_id = org_counts.user_id
            and account_cutoffs.cutoff_days = org_counts.cutoff_days
    where org_counts.event_order = 0
)

select * from org_before_cutoff
