{#
    Overrides dbt-spark's check of a model's incremental strategy: also accepts the
    project's delete+insert and delete_keys_insert, which dbt_spark_get_incremental_sql
    (this folder) runs on Spark by rewriting the table. The other checks are dbt-spark's.
#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- set accepted = ['append', 'merge', 'insert_overwrite', 'microbatch', 'delete+insert', 'delete_keys_insert'] -%}
    {%- if raw_strategy not in accepted -%}
        {{ exceptions.raise_compiler_error(
            "Invalid incremental strategy provided: " ~ raw_strategy
            ~ ". Expected one of: " ~ accepted | join(', ')) }}
    {%- endif -%}
    {%- if raw_strategy == 'merge' and file_format not in ['delta', 'iceberg', 'hudi'] -%}
        {{ exceptions.raise_compiler_error(
            "Invalid incremental strategy provided: merge. You can only choose this strategy "
            ~ "when file_format is set to 'delta' or 'iceberg' or 'hudi'") }}
    {%- endif -%}
    {%- if raw_strategy in ['insert_overwrite', 'microbatch'] and target.endpoint -%}
        {{ exceptions.raise_compiler_error(
            "Invalid incremental strategy provided: " ~ raw_strategy
            ~ ". You cannot use this strategy when connecting via endpoint") }}
    {%- endif -%}
    {{ return(raw_strategy) }}
{%- endmacro %}
