{#
    on-run-start hook: land the new files of every landing folder, once, one folder
    after another, before any node runs (unit tests read their columns from the raw
    tables). For each source of the landing plugin, its table (what the latest run
    landed) is dropped and the source resolved, which makes the plugin append the
    folder's new files to the raw table named in meta raw_table. With --full-refresh
    the raw tables and the manifest rows are dropped first, so every file lands again.
    Elsewhere than DuckDB it does nothing.
#}
{% macro land_sources() %}
    {%- if execute and target.type == 'duckdb' -%}
        {%- for node in graph.sources.values() -%}
            {%- set meta = dict(node.meta or {}) -%}
            {%- do meta.update(node.config.meta or {}) -%}
            {%- if meta.get('plugin') == 'landing' -%}
                {%- if flags.FULL_REFRESH -%}
                    {%- do run_query('drop table if exists ' ~ meta['raw_table']) -%}
                {%- endif -%}
                {%- do run_query('drop table if exists ' ~ node.schema ~ '.' ~ node.identifier) -%}
                {%- do source(node.source_name, node.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
