{#
    One row per account of the users export: when it adopted, by the rule "active on
    at least adoption_min_days distinct days within adoption_window_days consecutive
    days" (defaults 3 and 7: the third day at most six days after the first).
    adopted_on is the first day on which the rule holds. Only days on or after the
    signup day count; logins dated before signup are counted apart.

    One window pass and one aggregation: the lead runs over all of an account's days,
    before the join to its signup day. Days before signup sort before every day on or
    after it, so the lead from a day on or after signup only reaches days on or after
    signup: the same day as a lead over the counted days alone. The window test
    subtracts the dates (days_between), not dbt.datediff, which on DuckDB casts both to
    timestamps for every account day.
#}

{% if var('adoption_min_days') < 1 or var('adoption_window_days') < 1 %}
    {{ exceptions.raise_compiler_error(
        "vars adoption_min_days and adoption_window_days must be at least 1") }}
{% endif %}

with

users as (
    select
        user_id,
        cast({{ to_report_time('created_at') }} as date) as signup_date
    from {{ ref('stg_product__users') }}
    where not is_exact_duplicate
),

account_days as (
    select
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
    where user_type = 'account'
),

nth_day_ahead as (
    select
        user_id,
        activity_date,
        lead(activity_date, {{ var('adoption_min_days') - 1 }}) over (
            partition by user_id order by activity_date
        ) as nth_active_date
    from account_days
),

adoption as (
    select
        users.user_id,
        users.signup_date,
        min(
            case
                when
                    nth_day_ahead.activity_date >= users.signup_date
                    and {{ days_between(
                        'nth_day_ahead.activity_date', 'nth_day_ahead.nth_active_date'
                    ) }} < {{ var('adoption_window_days') }}
                    then nth_day_ahead.nth_active_date
            end
        ) as adopted_on,
        min(
            case
                when nth_day_ahead.activity_date >= users.signup_date
                    then nth_day_ahead.activity_date
            end
        ) as first_active_date,
        max(
            case
                when nth_day_ahead.activity_date >= users.signup_date
                    then nth_day_ahead.activity_date
            end
        ) as last_active_date,
        count(
            case when nth_day_ahead.activity_date >= users.signup_date then 1 end
        ) as active_days,
        count(
            case when nth_day_ahead.activity_date < users.signup_date then 1 end
        ) as active_days_before_signup
    from users
    left join nth_day_ahead on users.user_id = nth_day_ahead.user_id
    group by 1, 2
),

final as (
    select
        user_id,
        signup_date,
        adopted_on is not null as is_adopted,
        adopted_on,
        first_active_date,
        last_active_date,
        active_days,
        active_days_before_signup
    from adoption
)

select * from final
