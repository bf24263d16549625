{#
    One row per key of a JSON object column: select the macro's output as a relation
    with columns (row_key, json_key). Used to measure how often extra export columns are
    filled.
#}
{% macro json_object_keys(relation, row_key, json_column) -%}
    {{ return(adapter.dispatch('json_object_keys', 'uptake')(relation, row_key, json_column)) }}
{%- endmacro %}

{% macro duckdb__json_object_keys(relation, row_key, json_column) -%}
    select
        {{ row_key }} as row_key,
        unnest(json_keys({{ json_column }})) as json_key
    from {{ relation }}
    where {{ json_column }} is not null
{%- endmacro %}

{% macro spark__json_object_keys(relation, row_key, json_column) -%}
    select
        {{ row_key }} as row_key,
        explode(json_object_keys({{ json_column }})) as json_key
    from {{ relation }}
    where {{ json_column }} is not null
{%- endmacro %}
