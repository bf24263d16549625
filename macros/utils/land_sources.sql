{#
    on-run-start hook: reload every source that the landing plugin reads, once, one
    after another, before any node runs (unit tests read their columns from them). The
    raw table is dropped and the source resolved, which makes the plugin read the files
    again; the sources say save_mode: ignore, so the nodes that resolve them later reuse
    that table instead of reading the files once more. Elsewhere than DuckDB it does
    nothing.
#}
{% macro land_sources() %}
    {%- if execute and target.type == 'duckdb' -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.meta.get('plugin') or node.config.meta.get('plugin') -%}
                {%- do run_query('drop table if exists ' ~ node.schema ~ '.' ~ node.identifier) -%}
                {%- do source(node.source_name, node.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
