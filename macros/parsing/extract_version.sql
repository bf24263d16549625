{#
    The first run of digits (with underscores or dots between them) in a device or
    browser string, as a dotted version: iOS8_1_IPHONE -> 8.1, CHROME51 -> 51.
#}
{% macro extract_version(expression) -%}
    {{ return(adapter.dispatch('extract_version', 'uptake')(expression)) }}
{%- endmacro %}

{% macro default__extract_version(expression) -%}
    nullif(replace(regexp_extract({{ expression }}, '([0-9]+([._][0-9]+)*)', 1), '_', '.'), '')
{%- endmacro %}
