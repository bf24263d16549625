{#
    The incremental SQL of the Spark target. Overrides dbt-spark's macro of this name
    (the root project's macro wins), used by its incremental materialization, so
    that the models' own strategies run there too: delete+insert and delete_keys_insert
    (macros/materializations/get_incremental_delete_keys_insert_sql.sql) on tables that
    are plain Parquet files, which Spark cannot delete from or merge into (that needs
    Delta, Iceberg or Hudi, whose jars a local PySpark does not ship). Both replace the
    target's rows whose unique_key is among the new rows' keys. The new rows (dbt-spark's
    temporary view of the model's SQL) are computed once into a work table
    (<target>__dbt_new: the statement below reads them twice, and a view would be
    computed twice); the kept rows and the new rows are written to a second work table
    (<target>__dbt_rewrite), which then overwrites the target (Spark refuses to
    overwrite a table the same statement reads); both work tables are dropped after, so
    that no copy is left beside the model (a failed run leaves them, and the next run
    drops them first). The whole table is rewritten on each incremental run: correct,
    not cheap; with Delta, 'merge' or a delete would touch only the changed files.
    append, insert_overwrite, merge and microbatch stay dbt-spark's own.
#}
{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {%- if strategy in ['delete+insert', 'delete_keys_insert'] -%}
        {%- if not unique_key -%}
            {{ exceptions.raise_compiler_error(strategy ~ " needs a unique_key") }}
        {%- endif -%}
        {%- set keys = [unique_key] if unique_key is string else unique_key -%}
        {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
        {%- set work = target.incorporate(path={'identifier': target.identifier ~ '__dbt_rewrite'}) -%}
        {%- set new = target.incorporate(path={'identifier': target.identifier ~ '__dbt_new'}) -%}
        {%- do run_query('drop table if exists ' ~ work) -%}
        {%- do run_query('drop table if exists ' ~ new) -%}
        {%- do run_query('create table ' ~ new ~ ' using parquet as select * from ' ~ source) -%}
        {%- set kept_and_new -%}
            create table {{ work }} using parquet as
            select {{ columns }}
            from {{ target }} as stored
            where not exists (
                select 1
                from {{ new }} as new_rows
                where
                    {% for key in keys -%}
                        new_rows.{{ key }} = stored.{{ key }}{{ ' and' if not loop.last }}
                    {% endfor %}
            )
            union all
            select {{ columns }} from {{ new }}
        {%- endset -%}
        {%- do run_query(kept_and_new) -%}
        {%- do run_query('insert overwrite table ' ~ target ~ ' select ' ~ columns ~ ' from ' ~ work) -%}
        {%- do run_query('drop table if exists ' ~ work) -%}
        {%- do run_query('drop table if exists ' ~ new) -%}
        {#- The statement dbt runs as the model's: the rows it now holds. -#}
        select count(*) as rows_held from {{ target }}
    {%- elif strategy == 'append' -%}
        {{ get_insert_into_sql(source, target) }}
    {%- elif strategy in ['insert_overwrite', 'microbatch'] -%}
        {%- if strategy == 'microbatch' and not config.get('partition_by') -%}
            {{ exceptions.raise_compiler_error(
                "dbt-spark's microbatch strategy requires a partition_by config") }}
        {%- endif -%}
        {{ get_insert_overwrite_sql(source, target, existing) }}
    {%- elif strategy == 'merge' -%}
        {{ get_merge_sql(target, source, unique_key, dest_columns=none, incremental_predicates=incremental_predicates) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("No known SQL for the incremental strategy " ~ strategy) }}
    {%- endif -%}
{%- endmacro %}
