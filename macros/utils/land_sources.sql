{#
    on-run-start hook: land the new files of every landing folder, once, one folder
    after another, before any node runs (unit tests read their columns from the raw
    tables). For each source of the landing plugin, its table (what the latest run
    landed) is dropped and the source resolved, which makes the plugin append the
    folder's new files to the raw table named in meta raw_table. With --full-refresh
    the raw tables and the manifest rows are dropped first, so every file lands again.
    Names are quoted part by part.

    On Spark the files are landed before dbt runs, by the same loader, as all-text
    Parquet (`uptake land-parquet`, src/uptake/parquet_landing.py; scripts/spark.sh runs
    it): one folder per raw table under var spark_landing_dir (default
    $UPTAKE_SPARK_LANDING_DIR, else target/spark/landing, relative to the project
    folder). The hook makes each raw table named in meta raw_table a view over its
    folder's Parquet files. Elsewhere it does nothing: the raw tables are the
    warehouse's own.
#}
{% macro land_sources() %}
    {%- if execute and target.type == 'duckdb' -%}
        {%- for node in graph.sources.values() -%}
            {%- set meta = dict(node.meta or {}) -%}
            {%- do meta.update(node.config.meta or {}) -%}
            {%- if meta.get('plugin') == 'landing' -%}
                {%- if flags.FULL_REFRESH -%}
                    {%- set raw_parts = [] -%}
                    {%- for part in meta['raw_table'].split('.') -%}
                        {%- do raw_parts.append(adapter.quote(part)) -%}
                    {%- endfor -%}
                    {%- do run_query('drop table if exists ' ~ raw_parts | join('.')) -%}
                {%- endif -%}
                {%- set landed_now = adapter.quote(node.schema) ~ '.' ~ adapter.quote(node.identifier) -%}
                {%- do run_query('drop table if exists ' ~ landed_now) -%}
                {%- do source(node.source_name, node.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- elif execute and target.type == 'spark' -%}
        {%- set landing_dir = var('spark_landing_dir',
            env_var('UPTAKE_SPARK_LANDING_DIR', 'target/spark/landing')) | replace('`', '') -%}
        {%- for node in graph.sources.values() -%}
            {%- set meta = dict(node.meta or {}) -%}
            {%- do meta.update(node.config.meta or {}) -%}
            {%- if meta.get('plugin') == 'landing' -%}
                {%- set schema, table = meta['raw_table'].split('.') -%}
                {%- do run_query('create schema if not exists ' ~ adapter.quote(schema)) -%}
                {%- do run_query(
                    'create or replace view ' ~ adapter.quote(schema) ~ '.' ~ adapter.quote(table)
                    ~ ' as select * from parquet.`' ~ landing_dir ~ '/' ~ table ~ '`') -%}
            {%- endif -%}
        {%- endfor -%}
        {#- The landing audit's tables, written beside the raw tables. -#}
        {%- for table in ['_landed_files', '_files_not_landed'] -%}
            {%- do run_query(
                'create or replace view ' ~ adapter.quote('raw') ~ '.' ~ adapter.quote(table)
                ~ ' as select * from parquet.`' ~ landing_dir ~ '/' ~ table ~ '`') -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
