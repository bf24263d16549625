{{ config(materialized='table') }}

with

users as (
    select
        *,
        {{ duplicate_key(['user_id']) }} as duplicate_key,
        cast(last_session_epoch as {{ dbt.type_bigint() }}) as last_session_seconds
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

session_days as (
    select
        *,
        cast(floor(last_session_seconds / 86400.0) as {{ dbt.type_bigint() }})
            as last_session_days
    from users
),

flagged as (
    select
        session_days.*,
        later_copies.source_line is not null as is_exact_duplicate
    from session_days
    left join later_copies
        on
            session_days.source_file = later_copies.source_file
            and session_days.source_line = later_copies.source_line
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
        -- Whole days, then the seconds of the last day: an interval of seconds alone
        -- overflows a 32-bit integer past 2038.
        {{ dbt.dateadd('second', 'last_session_seconds - 86400 * last_session_days',
            dbt.dateadd('day', 'last_session_days', "cast('1970-01-01' as timestamp)")) }}
            as last_session_at,

        -- duplicates
        duplicate_key,
        is_exact_duplicate
    from flagged
)

select * from renamed
