{#
    Schemas are named by the layer alone (staging, intermediate, marts, seeds), not
    prefixed with the target schema, so BI tools find marts.fct_* on every target.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
