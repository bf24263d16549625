{#
    One row per record and key of a JSON object column: the record's key_columns and
    json_key (records whose column is null have no row). Used to measure how often extra
    export columns are filled.
#}
{% macro json_object_keys(relation, key_columns, json_column) -%}
    {{ return(adapter.dispatch('json_object_keys', 'uptake')(relation, key_columns, json_column)) }}
{%- endmacro %}

{% macro duckdb__json_object_keys(relation, key_columns, json_column) -%}
    select
        {{ key_columns | join(', ') }},
        unnest(json_keys({{ json_column }})) as json_key
    from {{ relation }}
    where {{ json_column }} is not null
{%- endmacro %}

{% macro spark__json_object_keys(relation, key_columns, json_column) -%}
    select
        {{ key_columns | join(', ') }},
        explode(json_object_keys({{ json_column }})) as json_key
    from {{ relation }}
    where {{ json_column }} is not null
{%- endmacro %}
