{#
    Every record of the logins exports, typed, with the reason it cannot be staged
    (null when it can). time_stamp is a full timestamp or a bare date.
#}

with

{% if is_incremental() -%}
    -- Landing is append-only by file: a file is either wholly processed or not at all.
    loaded_files as (
        select distinct source_file from {{ this }}
    ),
{%- endif %}

source as (
    select * from {{ source('product', 'logins') }}
    {%- if is_incremental() %}
        where _source_file not in (select loaded_files.source_file from loaded_files)
    {%- endif %}
),

cleaned as (
    select
        _source_file as source_file,
        _source_line as source_line,
        _load_error as load_error,
        _raw_record as raw_record,
        {{ clean_text('time_stamp') }} as time_stamp_text,
        {{ clean_text('user_id') }} as user_id_text,
        {{ clean_text('visited') }} as visited_text,
        {{ record_text(['time_stamp', 'user_id', 'visited']) }} as record_values
    from source
),

parsed as (
    select
        *,
        {{ try_cast('user_id_text', 'bigint') }} as user_id,
        {{ try_cast('visited_text', 'integer') }} as visited_number,
        {{ try_parse_timestamp('time_stamp_text', '%Y-%m-%d %H:%M:%S') }} as full_timestamp,
        cast({{ try_parse_timestamp('time_stamp_text', '%Y-%m-%d') }} as date) as bare_date
    from cleaned
),

checked as (
    select
        *,
        case
            when load_error is not null
                then load_error
            when user_id_text is null
                then 'user_id is empty'
            when user_id is null
                then 'user_id is not an integer'
            when time_stamp_text is null
                then 'time_stamp is empty'
            when full_timestamp is null and bare_date is null
                then 'unparseable time_stamp (expected YYYY-MM-DD HH:MM:SS or YYYY-MM-DD)'
            when {{ is_not_parsed('visited_text', 'visited_number') }}
                then 'visited is not an integer'
        end as rejection_reason
    from parsed
)

select * from checked
