{#
    on-run-start hook: resolve every source that the landing plugin reads, so that the
    raw tables are (re)loaded once, one after another, before any node runs (unit tests
    read their columns from them). Elsewhere than DuckDB it does nothing.
#}
{% macro land_sources() %}
    {%- if execute and target.type == 'duckdb' -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.meta.get('plugin') or node.config.meta.get('plugin') -%}
                {%- do source(node.source_name, node.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
