with

{% if is_incremental() -%}
    -- Landing is append-only by file: the files an earlier run staged are done, and the
    -- keys of what it staged find the duplicates of new records among them.
    staged_files as (
        select distinct source_file from {{ this }}
    ),

    staged_keys as (
        select duplicate_key from {{ this }}
    ),
{%- endif %}

-- Only the columns used below: this CTE is read several times (DuckDB materialises it),
-- so the raw record and its text forms stay out of it.
logins as (
    select
        source_file,
        source_line,
        user_id,
        visited_number,
        full_timestamp,
        bare_date,
        {{ duplicate_key(['user_id', 'time_stamp_text', 'visited_text']) }} as duplicate_key
    from {{ ref('base_product__logins') }}
    where
        rejection_reason is null{% if is_incremental() %}
            and source_file not in (select staged_files.source_file from staged_files){% endif %}
),

-- Exact duplicates: each copy of a record after the first in landing order (file,
-- line), and on an incremental run every copy of a record an earlier run staged. Only
-- keys that occur more than once are ranked: one grouping of the batch, not a sort.
repeated_keys as (
    select duplicate_key
    from logins
    group by 1
    having count(*) > 1
),

ranked_copies as (
    select
        logins.source_file,
        logins.source_line,
        row_number() over (
            partition by logins.duplicate_key
            order by logins.source_file, logins.source_line
        ) as copy_number
    from logins
    inner join repeated_keys on logins.duplicate_key = repeated_keys.duplicate_key
),

later_copies as (
    select
        source_file,
        source_line
    from ranked_copies
    where copy_number > 1
    {%- if is_incremental() %}
        union
        select
            logins.source_file,
            logins.source_line
        from logins
        inner join staged_keys on logins.duplicate_key = staged_keys.duplicate_key
    {%- endif %}
),

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
