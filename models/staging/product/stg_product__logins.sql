with

logins as (
    select * from {{ ref('base_product__logins') }}
    where rejection_reason is null
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
        row_number() over (
            partition by user_id, time_stamp_text, visited_text
            order by source_file, source_line
        ) > 1 as is_exact_duplicate
    from logins
)

select * from renamed
