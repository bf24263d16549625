{{ config(materialized='view') }}

{#
    One row per file of the landing folders: every file landed so far (with its record
    count) and every file the latest run did not land (with the reason), so that no file
    is left out of the landing audit without a word.
#}

with

landed_files as (
    select
        landing_folder,
        file_path,
        record_count
    from {{ source('landing_audit', 'landed_files') }}
),

files_not_landed as (
    select
        landing_folder,
        file_path,
        reason
    from {{ source('landing_audit', 'files_not_landed') }}
),

unioned as (
    select
        landing_folder,
        file_path as source_file,
        true as is_landed,
        record_count as landed_records,
        cast(null as {{ dbt.type_string() }}) as not_landed_reason
    from landed_files
    union all
    select
        landing_folder,
        file_path as source_file,
        false as is_landed,
        cast(null as {{ dbt.type_bigint() }}) as landed_records,
        reason as not_landed_reason
    from files_not_landed
),

named as (
    select
        case landing_folder
            when 'share_view' then 'share_view.activities'
            else {{ dbt.concat(["'product.'", 'landing_folder']) }}
        end as source_name,
        source_file,
        is_landed,
        landed_records,
        not_landed_reason
    from unioned
)

select * from named
