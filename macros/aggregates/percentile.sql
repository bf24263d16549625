{# Continuous percentile (p between 0 and 1) of a numeric expression, as an aggregate. #}
{% macro percentile(expression, p) -%}
    {{ return(adapter.dispatch('percentile', 'uptake')(expression, p)) }}
{%- endmacro %}

{% macro default__percentile(expression, p) -%}
    percentile_cont({{ p }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile(expression, p) -%}
    quantile_cont({{ expression }}, {{ p }})
{%- endmacro %}

{% macro spark__percentile(expression, p) -%}
    percentile({{ expression }}, {{ p }})
{%- endmacro %}
