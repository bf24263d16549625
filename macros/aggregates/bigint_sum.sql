{#
    sum() of an integer expression as a bigint: DuckDB widens a sum of bigints to
    hugeint, which an enforced bigint contract rejects.
#}
{% macro bigint_sum(expression) -%}
    cast(sum({{ expression }}) as {{ dbt.type_bigint() }})
{%- endmacro %}
