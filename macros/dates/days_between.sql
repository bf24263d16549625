{#
    Whole days from start_date to end_date (dates, not timestamps), as an integer:
    negative when end_date is earlier. dbt.datediff on DuckDB casts both dates to
    timestamps and calls date_diff, several times the cost of subtracting the dates
    (on DuckDB, date - date is already the number of days) over millions of rows. A
    bigint on every engine (Spark's datediff is an int), as the contracts say.
#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'uptake')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    ({{ end_date }} - {{ start_date }})
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    cast(datediff({{ end_date }}, {{ start_date }}) as bigint)
{%- endmacro %}
