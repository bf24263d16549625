{{ config(materialized='table') }}

with

users as (
    select
        *,
        {{ duplicate_key(['user_id']) }} as duplicate_key
    from {{ ref('base_product__users') }}
    where
        rejection_reason is null
),

-- Exact duplicates: each copy of a record after the first in landing order (file,
-- line). Only keys that occur more than once are ranked: one grouping, not a sort.
repeated_keys as (
    select duplicate_key
    from users
    group by 1
    having count(*) > 1
),

ranked_copies as (
    select
        users.source_file,
        users.source_line,
        row_number() over (
            partition by users.duplicate_key
            order by users.source_file, users.source_line
        ) as copy_number
    from users
    inner join repeated_keys on users.duplicate_key = repeated_keys.duplicate_key
),

later_copies as (
    select
        source_file,
        source_line
    from ranked_copies
    where copy_number > 1
),

flagged as (
    select
        users.*,
        later_copies.source_line is not null as is_exact_duplicate
    from users
    left join later_copies
        on
            users.source_file = later_copies.source_file
            and users.source_line = later_copies.source_line
),

renamed as (
    select
        -- lineage
        source_file,
        source_line,

        -- ids
        user_id,
        org_id,
        cast(invited_by_number as {{ dbt.type_bigint() }}) as invited_by_user_id,

        -- text
        nullif(lower({{ dbt.split_part('email', "'@'", 2) }}), '') as email_domain,
        creation_source,

        -- booleans
        mailing_list_number = 1 as is_opted_in_to_mailing_list,
        marketing_drip_number = 1 as is_enabled_for_marketing_drip,
        invited_by_number is not null as is_invited,

        -- timestamps
        created_at,
        {{ dbt.dateadd('second', 'cast(last_session_epoch as bigint)',
            "cast('1970-01-01' as timestamp)") }} as last_session_at,

        -- duplicates
        duplicate_key,
        is_exact_duplicate
    from flagged
)

select * from renamed
