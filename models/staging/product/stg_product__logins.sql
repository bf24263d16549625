{{ config(materialized='incremental', incremental_strategy='append') }}

with

logins as (
    select
        *,
        {{ duplicate_key(['user_id', 'time_stamp_text', 'visited_text']) }} as duplicate_key
    from {{ ref('base_product__logins') }}
    where
        rejection_reason is null
        {{ only_new_source_files('source_file', keyword='and') }}
),

{{ later_copies('logins') }}

flagged as (
    select
        logins.*,
        later_copies.source_line is not null as is_exact_duplicate
    from logins
    left join later_copies
        on
            logins.source_file = later_copies.source_file
            and logins.source_line = later_copies.source_line
),

renamed as (
    select
        -- lineage
        source_file,
        source_line,

        -- ids
        user_id,

        -- numbers
        visited_number as visited,

        -- booleans
        full_timestamp is not null as has_login_time,

        -- dates
        coalesce(cast(full_timestamp as date), bare_date) as login_date,

        -- timestamps
        full_timestamp as logged_in_at,

        -- duplicates
        duplicate_key,
        is_exact_duplicate
    from flagged
)

select * from renamed
