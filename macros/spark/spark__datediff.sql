{#
    dbt.datediff on Spark, for the dateparts the project uses, each as the number of
    boundaries crossed (as on DuckDB and the warehouses): second, day, month (year too). dbt-spark's
    month branch counts from months_between, which misses a boundary for some month ends
    (2024-01-31 to 2024-03-01: 1, not 2). A bigint, as DuckDB's. Other dateparts fail at
    compile time.
#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'second' -%}
        cast(unix_timestamp({{ second_date }}) - unix_timestamp({{ first_date }}) as bigint)
    {%- elif datepart == 'day' -%}
        cast(datediff(cast({{ second_date }} as date), cast({{ first_date }} as date)) as bigint)
    {%- elif datepart == 'month' -%}
        cast(
            (year({{ second_date }}) * 12 + month({{ second_date }}))
            - (year({{ first_date }}) * 12 + month({{ first_date }}))
            as bigint
        )
    {%- elif datepart == 'year' -%}
        cast(year({{ second_date }}) - year({{ first_date }}) as bigint)
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "spark__datediff (macros/spark) has no branch for datepart " ~ datepart) }}
    {%- endif -%}
{%- endmacro %}
