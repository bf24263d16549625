{#
    One row per account of the users export: when it adopted, by the rule "active on
    at least adoption_min_days distinct days within adoption_window_days consecutive
    days" (defaults 3 and 7: the third day at most six days after the first).
    adopted_on is the first day on which the rule holds. Only days on or after the
    signup day count; logins dated before signup are counted apart.
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

days_from_signup as (
    select
        account_days.user_id,
        account_days.activity_date,
        account_days.activity_date >= users.signup_date as is_on_or_after_signup
    from account_days
    inner join users on account_days.user_id = users.user_id
),

counted_days as (
    select
        user_id,
        activity_date
    from days_from_signup
    where is_on_or_after_signup
),

nth_day_ahead as (
    select
        user_id,
        activity_date,
        lead(activity_date, {{ var('adoption_min_days') - 1 }}) over (
            partition by user_id order by activity_date
        ) as nth_active_date
    from counted_days
),

first_adoption as (
    select
        user_id,
        min(nth_active_date) as adopted_on
    from nth_day_ahead
    where
        {{ dbt.datediff('activity_date', 'nth_active_date', 'day') }}
        < {{ var('adoption_window_days') }}
    group by 1
),

activity as (
    select
        user_id,
        min(case when is_on_or_after_signup then activity_date end) as first_active_date,
        max(case when is_on_or_after_signup then activity_date end) as last_active_date,
        count(case when is_on_or_after_signup then 1 end) as active_days,
        count(case when not is_on_or_after_signup then 1 end) as active_days_before_signup
    from days_from_signup
    group by 1
),

final as (
    select
        users.user_id,
        users.signup_date,
        first_adoption.adopted_on is not null as is_adopted,
        first_adoption.adopted_on,
        activity.first_active_date,
        activity.last_active_date,
        coalesce(activity.active_days, 0) as active_days,
        coalesce(activity.active_days_before_signup, 0) as active_days_before_signup
    from users
    left join first_adoption on users.user_id = first_adoption.user_id
    left join activity on users.user_id = activity.user_id
)

select * from final
