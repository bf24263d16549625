{#
    First day of the week that holds a date, for weeks starting on var('week_start_day')
    (monday, the ISO default, ... sunday). Shifts the date so that the wanted start day
    falls on a Monday, truncates to the ISO week, and shifts back.
#}
{% macro week_start(date_expression) -%}
    {%- set days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] -%}
    {%- set start_day = var('week_start_day') | lower -%}
    {%- if start_day not in days -%}
        {{ exceptions.raise_compiler_error(
            "var week_start_day must be one of " ~ days | join(', ') ~ "; got " ~ start_day) }}
    {%- endif -%}
    {%- set shift = (7 - days.index(start_day)) % 7 -%}
    {%- if shift == 0 -%}
        cast({{ dbt.date_trunc('week', date_expression) }} as date)
    {%- else -%}
        cast({{ dbt.dateadd('day', -shift,
            dbt.date_trunc('week', dbt.dateadd('day', shift, date_expression))) }} as date)
    {%- endif -%}
{%- endmacro %}
