{#
    The raw values of a record joined with commas, for the rejected rows when the
    loader kept no text of its own (the record parsed as CSV but failed a type check).
#}
{% macro record_text(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '')") -%}
        {%- if not loop.last %}{% do parts.append("','") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
