{#
    For an incremental share/view model with one row per record of one activity type:
    the CTEs that find the records a run recomputes. Goes inside the model's `with`,
    after a CTE named `records` (int_share_view_activities_enriched), and before the
    model's own CTEs (each CTE here ends with a comma).
      built_files         the files the model holds a row of, from its ids ("file:line")
      new_records         the records of every other file
      changed_keys        their customers, clients and titles
      changed_activities  the records of activity_type that are new or share a key with
                          a new record (a view links only to a share of its key)
#}
{% macro share_view_changed_activities(id_column, activity_type) -%}
    -- A row's file: its id ("file:line") without the line.
    built_files as (
        select distinct regexp_replace({{ id_column }}, ':[0-9]+$', '') as source_file
        from {{ this }}
    ),

    new_records as (
        select
            activity_id,
            activity_type,
            customer_code,
            client_id,
            content_title
        from records
        where source_file not in (select built_files.source_file from built_files)
    ),

    changed_keys as (
        select distinct
            customer_code,
            client_id,
            content_title
        from new_records
        where client_id is not null and content_title is not null
    ),

    changed_activities as (
        select activity_id from new_records
        where activity_type = '{{ activity_type }}'
        union
        select records.activity_id
        from records
        inner join changed_keys
            on
                records.customer_code = changed_keys.customer_code
                and records.client_id = changed_keys.client_id
                and records.content_title = changed_keys.content_title
        where records.activity_type = '{{ activity_type }}'
    ),
{%- endmacro %}
