{#
    dbt.cast on Spark: a bare varchar (the string type of the project's contracts) is
    Spark's string; Spark wants a length after varchar. dbt checks an enforced contract
    by casting null to every column's data_type, so this keeps one contract for DuckDB
    and Spark. Other types pass through.
#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ 'string' if type | trim | lower in ('varchar', 'text') else type }})
{%- endmacro %}
