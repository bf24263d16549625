{#
    Every record of the share_view exports, typed, with the reason it cannot be staged
    (null when it can). stg_share_view__activities keeps the good rows;
    stg_landing__rejected_rows keeps the others.
#}

with

{% if is_incremental() -%}
    -- Landing is append-only by file: a file is either wholly processed or not at all.
    loaded_files as (
        select distinct source_file from {{ this }}
    ),
{%- endif %}

source as (
    select * from {{ source('share_view', 'activities') }}
    {%- if is_incremental() %}
        where _source_file not in (select loaded_files.source_file from loaded_files)
    {%- endif %}
),

cleaned as (
    select
        -- lineage
        _source_file as source_file,
        _source_line as source_line,
        _load_error as load_error,
        _raw_record as raw_record,
        _extra_columns as extra_columns,

        -- ids
        {{ clean_text(dbt.split_part('_file_stem', "'__'", 1)) }} as customer_code,
        {{ clean_text('user_id') }} as client_id,
        {{ clean_text('rm_id') }} as relationship_manager_id,

        -- text
        upper({{ clean_text('activity_type') }}) as activity_type,
        {{ clean_text('user_os') }} as user_os,
        {{ clean_text('viewing_app') }} as viewing_app,
        {{ clean_text('user_groups') }} as user_groups,
        {{ clean_text('title_of_content') }} as content_title,
        upper({{ clean_text('share_channel') }}) as share_channel,

        -- raw values that need parsing
        {{ clean_text('viewed') }} as viewed_text,
        {{ clean_text('time_spent_in_seconds') }} as time_spent_text,
        {{ clean_text('shared_date') }} as shared_date_text,
        {{ clean_text('shared_time') }} as shared_time_text,
        {{ clean_text('last_activity_date') }} as last_activity_date_text,
        {{ clean_text('last_activity_time') }} as last_activity_time_text,
        {{ record_text(['activity_type', 'user_id', 'rm_id', 'user_os', 'viewing_app',
            'user_groups', 'shared_date', 'shared_time', 'title_of_content',
            'share_channel', 'viewed', 'time_spent_in_seconds', 'last_activity_date',
            'last_activity_time']) }} as record_values
    from source
),

parsed as (
    select
        *,
        {{ try_cast('viewed_text', 'integer') }} as viewed_number,
        {{ try_cast('time_spent_text', 'double') }}
            as time_spent_seconds,
        cast({{ try_parse_timestamp('shared_date_text', '%d-%b-%Y') }} as date) as shared_date,
        {{ try_parse_timestamp(dbt.concat(['shared_date_text', "' '", 'shared_time_text']),
            '%d-%b-%Y %H:%M:%S') }} as shared_at,
        cast({{ try_parse_timestamp('last_activity_date_text', '%d-%b-%Y') }} as date)
            as last_activity_date,
        {{ try_parse_timestamp(
            dbt.concat(['last_activity_date_text', "' '", 'last_activity_time_text']),
            '%d-%b-%Y %H:%M:%S') }} as last_activity_at
    from cleaned
),

checked as (
    select
        *,
        case
            when load_error is not null
                then load_error
            when activity_type is null or activity_type not in ('SHARE', 'VIEW')
                then 'Activity Type is neither SHARE nor VIEW'
            when client_id is null
                then 'User ID is empty'
            when {{ is_not_parsed('shared_date_text', 'shared_date') }}
                then 'unparseable Shared Date (expected like 21-Aug-2017)'
            when shared_time_text is not null and shared_date is not null and shared_at is null
                then 'unparseable Shared Time (expected like 2:16:47)'
            when last_activity_date_text is null
                then 'Last Activity Date is empty'
            when last_activity_date is null
                then 'unparseable Last Activity Date (expected like 21-Aug-2017)'
            when last_activity_time_text is not null and last_activity_at is null
                then 'unparseable Last Activity Time (expected like 2:16:47)'
            when activity_type = 'SHARE' and shared_date is null
                then 'SHARE without a Shared Date'
            when {{ is_not_parsed('viewed_text', 'viewed_number') }}
                or viewed_number not in (0, 1)
                then 'Viewed is not 0 or 1'
            when {{ is_not_parsed('time_spent_text', 'time_spent_seconds') }}
                then 'Time Spent in Seconds is not a number'
            when time_spent_seconds < 0
                then 'Time Spent in Seconds is negative'
            -- inf, nan ('1e309', 'NaN' parse as doubles): nan compares above every number.
            when not time_spent_seconds < 1e15
                then 'Time Spent in Seconds is not a finite number below 1e15'
        end as rejection_reason
    from parsed
)

select * from checked
