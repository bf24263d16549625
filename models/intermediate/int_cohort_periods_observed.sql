{#
    One row per user type, cohort day (a day some user's retention clock starts on, see
    int_user_cohorts_assigned), period unit and period number N up to
    retention_max_days / _weeks / _months: the last day of period N and whether the data
    of the user type covers it in full (is_observable). Day N ends N days after the
    cohort day; week N ends 7N+6 days after it; month N the day before N+1 months after
    it. A cell the data cannot yet observe in full is marked, never shown as 0.
    Rebuilt whole on every run: one row per cohort day and period, small next to the
    user-level models, and every incomplete cell moves with the end of the data.
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
        user_type,
        cohort_date
    from {{ ref('int_user_cohorts_assigned') }}
),

data_ends as (
    select
        user_type,
        data_end_date
    from {{ ref('int_user_type_data_ends_computed') }}
),

cohort_days as (
    select distinct
        cohorts.user_type,
        cohorts.cohort_date,
        data_ends.data_end_date
    from cohorts
    left join data_ends on cohorts.user_type = data_ends.user_type
),

period_numbers as (
    {{ dbt.generate_series(period_count) }}
),

{% for unit, max_period in units %}
    {{ unit }}_periods as (
        select
            cohort_days.user_type,
            cohort_days.cohort_date,
            '{{ unit }}' as period_unit,
            period_numbers.generated_number - 1 as period_number,
            {%- if unit == 'day' %}
                cast({{ dbt.dateadd('day', 'period_numbers.generated_number - 1',
                    'cohort_days.cohort_date') }} as date) as period_end_date,
            {%- elif unit == 'week' %}
                cast({{ dbt.dateadd('day', '7 * period_numbers.generated_number - 1',
                    'cohort_days.cohort_date') }} as date) as period_end_date,
            {%- else %}
                cast({{ dbt.dateadd('day', -1, dbt.dateadd('month',
                    'period_numbers.generated_number', 'cohort_days.cohort_date')) }} as date)
                    as period_end_date,
            {%- endif %}
            cohort_days.data_end_date
        from cohort_days
        cross join period_numbers
        where period_numbers.generated_number - 1 <= {{ max_period }}
    ),

{% endfor %}

periods as (
    {% for unit, max_period in units %}
        select
            user_type,
            cohort_date,
            period_unit,
            period_number,
            period_end_date,
            coalesce(period_end_date <= data_end_date, false) as is_observable
        from {{ unit }}_periods
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from periods
