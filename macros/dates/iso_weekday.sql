{# ISO day of the week of a date or timestamp: 1 = Monday ... 7 = Sunday. #}
{% macro iso_weekday(expression) -%}
    {{ return(adapter.dispatch('iso_weekday', 'uptake')(expression)) }}
{%- endmacro %}

{% macro default__iso_weekday(expression) -%}
    cast(extract(isodow from {{ expression }}) as integer)
{%- endmacro %}

{% macro spark__iso_weekday(expression) -%}
    cast(extract(dayofweek_iso from {{ expression }}) as integer)
{%- endmacro %}
