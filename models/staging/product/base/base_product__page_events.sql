{#
    Every record of the page_events exports, typed, with the reason it cannot be staged
    (null when it can). user_id stays text: it is a 39-digit number.
#}

with

{% if is_incremental() -%}
    -- Landing is append-only by file: a file is either wholly processed or not at all.
    loaded_files as (
        select distinct source_file from {{ this }}
    ),
{%- endif %}

source as (
    select * from {{ source('product', 'page_events') }}
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
        {{ clean_text('ts') }} as ts_text,
        {{ clean_text('user_id') }} as user_id,
        {{ clean_text('os') }} as os,
        {{ clean_text('browser') }} as browser,
        lower({{ clean_text('plan') }}) as plan,
        lower({{ clean_text('page') }}) as page,
        {{ record_text(['ts', 'user_id', 'os', 'browser', 'plan', 'page']) }} as record_values
    from source
),

parsed as (
    select
        *,
        {{ try_cast('ts_text', dbt.type_timestamp()) }} as occurred_at
    from cleaned
),

checked as (
    select
        *,
        case
            when load_error is not null
                then load_error
            when user_id is null
                then 'user_id is empty'
            when ts_text is null
                then 'ts is empty'
            when occurred_at is null
                then 'unparseable ts (expected YYYY-MM-DD HH:MM:SS.ffffff)'
            when page is null
                then 'page is empty'
            when plan not in ('monthly', 'yearly')
                then 'plan is neither monthly nor yearly'
        end as rejection_reason
    from parsed
)

select * from checked
