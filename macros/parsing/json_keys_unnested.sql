{#
    json_keys_unnested(json_column): one row per key of a JSON object column (a set-
    returning expression for the select list; a null column gives no row).
#}
{% macro json_keys_unnested(json_column) -%}
    {{ return(adapter.dispatch('json_keys_unnested', 'uptake')(json_column)) }}
{%- endmacro %}

{% macro duckdb__json_keys_unnested(json_column) -%}
    unnest(json_keys({{ json_column }}))
{%- endmacro %}

{% macro spark__json_keys_unnested(json_column) -%}
    explode(json_object_keys({{ json_column }}))
{%- endmacro %}
