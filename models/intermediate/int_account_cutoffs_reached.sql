{#
    One row per account and cut-off (var adoption_cutoff_days: days after signup) that
    the data reaches: cutoff_date on or before the last day of the account data. With
    the account's org, signup and adoption days (and the days between them) and
    horizon_end_date, the last day the label "adopts within adoption_horizon_days of
    signup" looks at. The rows the adoption features (int_adoption_features) and the
    org's adoption before the cut-off (int_org_adoption_counted) are computed for.
#}

with

cutoffs as (
    {% for days in var('adoption_cutoff_days') %}
        select {{ days }} as cutoff_days
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

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

data_end as (
    select data_end_date from {{ ref('int_user_type_data_ends_computed') }}
    where user_type = 'account'
),

account_cutoffs as (
    select
        accounts.user_id,
        accounts.org_id,
        cutoffs.cutoff_days,
        cast({{ dbt.dateadd('day', 'cutoffs.cutoff_days', 'accounts.signup_date') }} as date)
            as cutoff_date,
        accounts.signup_date,
        adoption.adopted_on,
        {{ dbt.datediff('accounts.signup_date', 'adoption.adopted_on', 'day') }}
            as days_to_adoption,
        cast(
            {{ dbt.dateadd('day', var('adoption_horizon_days') - 1, 'accounts.signup_date') }}
            as date
        ) as horizon_end_date,
        data_end.data_end_date
    from accounts
    inner join adoption on accounts.user_id = adoption.user_id
    cross join cutoffs
    cross join data_end
),

reached as (
    select * from account_cutoffs
    where cutoff_date <= data_end_date
)

select * from reached
