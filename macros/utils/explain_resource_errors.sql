{#
    on-run-end hook: when nodes failed because DuckDB ran out of memory or of temp space,
    ends the run with one message that names the environment variable to raise
    (profiles.yml reads every DuckDB setting from one), after DuckDB's own errors, whose
    advice (`SET memory_limit=...`) a build cannot follow. A node that failed for another
    reason is left to dbt's own summary.
#}
{% macro explain_resource_errors(results) %}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set memory, temp_space, disk = [], [], [] -%}
        {%- for result in results if result.status == 'error' and result.message -%}
            {%- set message = result.message | string -%}
            {%- if 'max_temp_directory_size' in message -%}
                {%- do temp_space.append(result.node.name) -%}
            {%- elif 'Out of Memory Error' in message -%}
                {%- do memory.append(result.node.name) -%}
            {%- elif 'No space left on device' in message -%}
                {%- do disk.append(result.node.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if memory or temp_space or disk -%}
            {%- set settings = run_query(
                "select current_setting('memory_limit'), current_setting('temp_directory'),"
                ~ " current_setting('max_temp_directory_size')"
            ).rows[0] -%}
            {%- set lines = [] -%}
            {%- if memory -%}
                {%- do lines.append(
                    'DuckDB ran out of memory in ' ~ memory | join(', ') ~ ': raise '
                    ~ 'UPTAKE_DUCKDB_MEMORY_LIMIT (now ' ~ settings[0] ~ '), or lower '
                    ~ 'UPTAKE_DUCKDB_THREADS.'
                ) -%}
            {%- endif -%}
            {%- if temp_space -%}
                {%- do lines.append(
                    'DuckDB ran out of temp space in ' ~ temp_space | join(', ') ~ ': raise '
                    ~ 'UPTAKE_DUCKDB_MAX_TEMP_SIZE (now ' ~ settings[2] ~ ', in '
                    ~ settings[1] ~ ') or UPTAKE_DUCKDB_MEMORY_LIMIT (now ' ~ settings[0] ~ ').'
                ) -%}
            {%- endif -%}
            {%- if disk -%}
                {%- do lines.append(
                    'The disk filled up in ' ~ disk | join(', ') ~ ': free space where the '
                    ~ 'DuckDB file and its temp folder are, or set UPTAKE_DUCKDB_TEMP_DIR (now '
                    ~ settings[1] ~ ') to a folder on a larger disk.'
                ) -%}
            {%- endif -%}
            {%- do lines.append(
                'Nothing was published: readers keep the last published build. '
                ~ 'Run the build again after raising it.'
            ) -%}
            {{ exceptions.raise_database_error(lines | join(' ')) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
