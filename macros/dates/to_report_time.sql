{#
    A UTC timestamp (the exports carry no zone; staging reads them as UTC) as wall-clock
    time in var('report_time_zone'), the zone that decides calendar days.
#}
{% macro to_report_time(timestamp_expression) -%}
    {%- if var('report_time_zone') | upper in ('UTC', 'ETC/UTC') -%}
        {{ timestamp_expression }}
    {%- else -%}
        {{ return(adapter.dispatch('to_report_time', 'uptake')(timestamp_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__to_report_time(timestamp_expression) -%}
    timezone('{{ var("report_time_zone") }}', {{ timestamp_expression }} at time zone 'UTC')
{%- endmacro %}

{% macro spark__to_report_time(timestamp_expression) -%}
    from_utc_timestamp({{ timestamp_expression }}, '{{ var("report_time_zone") }}')
{%- endmacro %}

{% macro default__to_report_time(timestamp_expression) -%}
    {{ exceptions.raise_compiler_error(
        "to_report_time has no implementation for adapter " ~ adapter.type()
        ~ " with a report_time_zone other than UTC") }}
{%- endmacro %}
