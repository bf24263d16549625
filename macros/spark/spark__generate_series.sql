{#
    dbt.generate_series on Spark: 1..upper_bound as a bigint generated_number, from
    Spark's range table. dbt's default builds it from powers of two with power(), a
    double on Spark, which the contracts of the marts that count periods refuse.
#}
{% macro spark__generate_series(upper_bound) -%}
    select id + 1 as generated_number from range({{ upper_bound }})
{%- endmacro %}
