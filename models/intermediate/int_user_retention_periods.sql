{{ config(materialized='table') }}

{#
    One row per user, period unit (day, week, month) and period number N counted from
    the user's cohort_date (day N: that day; week N: days 7N to 7N+6; month N: from N
    to N+1 months after): whether the data covers the period in full, whether the user
    was active in it, and whether the user was active in it or any later period. The
    grain of every retention fact.
#}

{% set units = [
    ('day', var('retention_max_days')),
    ('week', var('retention_max_weeks')),
    ('month', var('retention_max_months')),
] %}
{% set period_count = units | map(attribute=1) | max + 1 %}

with

cohorts as (
    select
        user_key,
        user_type,
        cohort_date,
        data_end_date
    from {{ ref('int_user_cohorts') }}
),

user_days as (
    select
        user_key,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

activity as (
    select
        cohorts.user_key,
        {{ dbt.datediff('cohorts.cohort_date', 'user_days.activity_date', 'day') }}
            as day_number,
        {{ dbt.datediff('cohorts.cohort_date', 'user_days.activity_date', 'month') }}
        - case
            when {{ dbt.dateadd('month',
                dbt.datediff('cohorts.cohort_date', 'user_days.activity_date', 'month'),
                'cohorts.cohort_date') }} > user_days.activity_date
                then 1
            else 0
        end as month_number
    from user_days
    inner join cohorts on user_days.user_key = cohorts.user_key
    where user_days.activity_date >= cohorts.cohort_date
),

active_periods as (
    select distinct
        user_key,
        'day' as period_unit,
        day_number as period_number
    from activity
    union all
    select distinct
        user_key,
        'week' as period_unit,
        cast(floor(day_number / 7) as integer) as period_number
    from activity
    union all
    select distinct
        user_key,
        'month' as period_unit,
        month_number as period_number
    from activity
),

last_active_periods as (
    select
        user_key,
        period_unit,
        max(period_number) as last_active_period
    from active_periods
    group by 1, 2
),

period_numbers as (
    {{ dbt.generate_series(period_count) }}
),

{% for unit, max_period in units %}
    {{ unit }}_periods as (
        select
            cohorts.user_key,
            cohorts.user_type,
            cohorts.cohort_date,
            cohorts.data_end_date,
            '{{ unit }}' as period_unit,
            period_numbers.generated_number - 1 as period_number,
            {%- if unit == 'day' %}
                cast({{ dbt.dateadd('day', 'period_numbers.generated_number - 1',
                    'cohorts.cohort_date') }} as date) as period_start_date,
                cast({{ dbt.dateadd('day', 'period_numbers.generated_number - 1',
                    'cohorts.cohort_date') }} as date) as period_end_date
            {%- elif unit == 'week' %}
                cast({{ dbt.dateadd('day', '7 * (period_numbers.generated_number - 1)',
                    'cohorts.cohort_date') }} as date) as period_start_date,
                cast({{ dbt.dateadd('day', '7 * period_numbers.generated_number - 1',
                    'cohorts.cohort_date') }} as date) as period_end_date
            {%- else %}
                cast({{ dbt.dateadd('month', 'period_numbers.generated_number - 1',
                    'cohorts.cohort_date') }} as date) as period_start_date,
                cast({{ dbt.dateadd('day', -1, dbt.dateadd('month',
                    'period_numbers.generated_number', 'cohorts.cohort_date')) }} as date)
                    as period_end_date
            {%- endif %}
        from cohorts
        cross join period_numbers
        where period_numbers.generated_number - 1 <= {{ max_period }}
    ),

{% endfor %}

grid as (
    {% for unit, max_period in units %}
        select * from {{ unit }}_periods
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        grid.user_key,
        grid.user_type,
        grid.cohort_date,
        grid.period_unit,
        grid.period_number,
        grid.period_start_date,
        grid.period_end_date,
        coalesce(grid.period_end_date <= grid.data_end_date, false) as is_observable,
        active_periods.user_key is not null as is_active,
        coalesce(last_active_periods.last_active_period >= grid.period_number, false)
            as is_active_on_or_after
    from grid
    left join active_periods
        on
            grid.user_key = active_periods.user_key
            and grid.period_unit = active_periods.period_unit
            and grid.period_number = active_periods.period_number
    left join last_active_periods
        on
            grid.user_key = last_active_periods.user_key
            and grid.period_unit = last_active_periods.period_unit
)

select * from final
