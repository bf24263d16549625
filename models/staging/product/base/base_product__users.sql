{{ config(materialized='table') }}

{#
    Every record of the users exports, typed, with the reason it cannot be staged (null
    when it can). Holds name and email: personal data stops in staging.
#}

with

source as (
    select * from {{ source('product', 'users') }}
),

cleaned as (
    select
        _source_file as source_file,
        _source_line as source_line,
        _load_error as load_error,
        _raw_record as raw_record,
        {{ clean_text('object_id') }} as object_id_text,
        {{ clean_text('creation_time') }} as creation_time_text,
        {{ clean_text('email') }} as email,
        upper({{ clean_text('creation_source') }}) as creation_source,
        {{ clean_text('last_session_creation_time') }} as last_session_text,
        {{ clean_text('opted_in_to_mailing_list') }} as mailing_list_text,
        {{ clean_text('enabled_for_marketing_drip') }} as marketing_drip_text,
        {{ clean_text('org_id') }} as org_id_text,
        {{ clean_text('invited_by_user_id') }} as invited_by_text,
        {{ record_text(['object_id', 'creation_time', 'name', 'email', 'creation_source',
            'last_session_creation_time', 'opted_in_to_mailing_list',
            'enabled_for_marketing_drip', 'org_id', 'invited_by_user_id']) }}
            as record_values
    from source
),

parsed as (
    select
        *,
        {{ try_cast('object_id_text', 'bigint') }} as user_id,
        {{ try_parse_timestamp('creation_time_text', '%Y-%m-%d %H:%M:%S') }} as created_at,
        {{ try_cast('last_session_text', 'double') }} as last_session_epoch,
        {{ try_cast('mailing_list_text', 'integer') }} as mailing_list_number,
        {{ try_cast('marketing_drip_text', 'integer') }} as marketing_drip_number,
        {{ try_cast('org_id_text', 'bigint') }} as org_id,
        {{ try_cast('invited_by_text', 'double') }} as invited_by_number
    from cleaned
),

checked as (
    select
        *,
        case
            when load_error is not null
                then load_error
            when object_id_text is null
                then 'object_id is empty'
            when user_id is null
                then 'object_id is not an integer'
            when creation_time_text is null
                then 'creation_time is empty'
            when created_at is null
                then 'unparseable creation_time (expected YYYY-MM-DD HH:MM:SS)'
            when {{ is_not_parsed('last_session_text', 'last_session_epoch') }}
                then 'last_session_creation_time is not Unix seconds'
            -- From 0001-01-01 to 9999-12-31 (inf and nan, which parse as doubles, fall
            -- outside: nan compares above every number).
            when not last_session_epoch between -62135596800 and 253402300799
                then 'last_session_creation_time is out of range (years 1 to 9999)'
            when {{ is_not_parsed('mailing_list_text', 'mailing_list_number') }}
                or mailing_list_number not in (0, 1)
                then 'opted_in_to_mailing_list is not 0 or 1'
            when {{ is_not_parsed('marketing_drip_text', 'marketing_drip_number') }}
                or marketing_drip_number not in (0, 1)
                then 'enabled_for_marketing_drip is not 0 or 1'
            when {{ is_not_parsed('org_id_text', 'org_id') }}
                then 'org_id is not an integer'
            when {{ is_not_parsed('invited_by_text', 'invited_by_number') }}
                or invited_by_number <> floor(invited_by_number)
                or not invited_by_number between -9.2e18 and 9.2e18
                then 'invited_by_user_id is not an integer'
        end as rejection_reason
    from parsed
),

-- An account id that appears again with other values is a conflict: the first record
-- (by file and line) is staged, the later ones are rejected. Exact repeats are staged
-- and flagged in stg_product__users.
first_records as (
    select
        *,
        first_value(record_values) over (
            partition by user_id, rejection_reason is null
            order by source_file, source_line
        ) as first_record_values
    from checked
),

final as (
    select
        source_file,
        source_line,
        raw_record,
        record_values,
        user_id,
        created_at,
        email,
        creation_source,
        last_session_epoch,
        mailing_list_number,
        marketing_drip_number,
        org_id,
        invited_by_number,
        case
            when rejection_reason is not null then rejection_reason
            when record_values <> first_record_values
                then 'object_id already staged with different values'
        end as rejection_reason
    from first_records
)

select * from final
