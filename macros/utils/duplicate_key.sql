{#
    duplicate_key(columns): one value per distinct combination of the columns (nulls
    included), so that an exact duplicate can be found among the records already staged
    by an earlier run: MD5 of the values quoted CSV-style (DuckDB: as a 128-bit number).
#}
{% macro duplicate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append(
            "coalesce('\"' || replace(cast(" ~ column ~ " as " ~ dbt.type_string()
            ~ "), '\"', '\"\"') || '\"', 'null')") -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('duplicate_key', 'uptake')(parts | join(" || ',' || "))) }}
{%- endmacro %}

{% macro default__duplicate_key(text) -%}
    {{ dbt.hash(text) }}
{%- endmacro %}

{% macro duckdb__duplicate_key(text) -%}
    md5_number({{ text }})
{%- endmacro %}
