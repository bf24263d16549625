{#
    Parse text with a strptime-style format; null when it does not match (never an
    error), so staging can send the row to the rejected rows with a reason.
#}
{% macro try_parse_timestamp(expression, format) -%}
    {{ return(adapter.dispatch('try_parse_timestamp', 'uptake')(expression, format)) }}
{%- endmacro %}

{% macro duckdb__try_parse_timestamp(expression, format) -%}
    try_strptime({{ expression }}, '{{ format }}')
{%- endmacro %}

{% macro spark__try_parse_timestamp(expression, format) -%}
    {%- set java = format
        | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'd')
        | replace('%b', 'MMM') | replace('%H', 'H') | replace('%M', 'mm')
        | replace('%S', 'ss') | replace('%f', 'SSSSSS') -%}
    try_to_timestamp({{ expression }}, '{{ java }}')
{%- endmacro %}

{% macro default__try_parse_timestamp(expression, format) -%}
    {{ exceptions.raise_compiler_error(
        "try_parse_timestamp has no implementation for adapter " ~ adapter.type()
        ~ "; add " ~ adapter.type() ~ "__try_parse_timestamp in macros/parsing/") }}
{%- endmacro %}
