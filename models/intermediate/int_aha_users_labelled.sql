{#
    One row per user of every type: first active day (day 0), whether the user is
    retained (active on days aha_retention_start_day..aha_retention_end_day), whether
    the data covers those days (is_observable), whether the first active day falls in
    the burn-in of the user's export (is_in_burn_in, see int_user_first_active_days_computed:
    such users are left out of the aha tables) and the user's cohort half: earlier or
    later first-activity dates (the latest aha_validation_fraction of the users past the
    burn-in are later). The population of the aha-moment tables.
#}

with

user_days as (
    select
        user_key,
        user_type,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

firsts as (
    select
        user_key,
        user_type,
        first_active_date,
        export_start_date,
        is_in_burn_in
    from {{ ref('int_user_first_active_days_computed') }}
),

data_ends as (
    select
        user_type,
        data_end_date
    from {{ ref('int_user_type_data_ends_computed') }}
),

split_dates as (
    select
        user_type,
        {{ percentile('first_active_date_number', 1 - var('aha_validation_fraction')) }}
            as split_number
    from (
        select
            user_type,
            {{ dbt.datediff("cast('2000-01-01' as date)", 'first_active_date', 'day') }}
                as first_active_date_number
        from firsts
        where not is_in_burn_in
    ) as numbered
    group by 1
),

retention as (
    select
        firsts.user_key,
        count(*) > 0 as is_retained
    from firsts
    inner join user_days
        on
            firsts.user_key = user_days.user_key
            and {{ dbt.datediff('firsts.first_active_date', 'user_days.activity_date', 'day') }}
            between {{ var('aha_retention_start_day') }} and {{ var('aha_retention_end_day') }}
    group by 1
),

users as (
    select
        firsts.user_key,
        firsts.user_type,
        firsts.first_active_date,
        firsts.export_start_date,
        firsts.is_in_burn_in,
        coalesce(retention.is_retained, false) as is_retained,
        {{ dbt.dateadd('day', var('aha_retention_end_day'), 'firsts.first_active_date') }}
        <= data_ends.data_end_date as is_observable,
        case
            when
                {{ dbt.datediff("cast('2000-01-01' as date)", 'firsts.first_active_date', 'day') }}
                < split_dates.split_number
                then 'earlier'
            else 'later'
        end as cohort_half
    from firsts
    inner join data_ends on firsts.user_type = data_ends.user_type
    left join split_dates on firsts.user_type = split_dates.user_type
    left join retention on firsts.user_key = retention.user_key
)

select * from users
