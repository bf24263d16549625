{#
    One row per calendar day from var('time_spine_start_date') to the last day of the
    data (the latest active day of any user type; var('time_spine_end_date') when there
    is no activity yet, and never past it): the date dimension, and the time spine that
    MetricFlow joins to for cumulative metrics (WAU, MAU). Ending at the data keeps the
    trailing windows from running on into days no export has reached yet. The number of
    days is worked out when the model compiles, so the SQL holds a series and a date
    addition (portable through dbt's cross-database macros).
#}

{%- set spine_start = modules.datetime.date.fromisoformat(var('time_spine_start_date') | string) -%}
{%- set spine_end = modules.datetime.date.fromisoformat(var('time_spine_end_date') | string) -%}
{%- if spine_end < spine_start -%}
    {{ exceptions.raise_compiler_error(
        "var time_spine_end_date (" ~ spine_end ~ ") is before time_spine_start_date ("
        ~ spine_start ~ ")") }}
{%- endif %}

with

data_ends as (
    select data_end_date from {{ ref('int_user_type_data_ends_computed') }}
),

last_day as (
    select
        coalesce(
            max(data_end_date), cast('{{ spine_end }}' as date)
        ) as last_date
    from data_ends
),

day_numbers as (
    {{ dbt.generate_series((spine_end - spine_start).days + 1) }}
),

calendar_days as (
    select
        cast(
            {{ dbt.dateadd('day', 'generated_number - 1', "cast('" ~ spine_start ~ "' as date)") }}
            as date
        ) as calendar_date
    from day_numbers
),

final as (
    select
        calendar_days.calendar_date,
        {{ week_start('calendar_days.calendar_date') }} as week_start_date,
        cast({{ dbt.date_trunc('month', 'calendar_days.calendar_date') }} as date)
            as month_start_date
    from calendar_days
    inner join last_day on calendar_days.calendar_date <= last_day.last_date
)

select * from final
