{#
    One row per customer export, activity type and field: how often the field is
    filled among the export's records (rejected ones included: this is about the
    export, not about what staging kept). Fields beyond the contract (User OS Share,
    Viewing App Version, unnamed trailing columns) are measured too. The gaps show where
    data collection falls short.
#}

{% set fields = {
    'User ID': 'client_id',
    'RM ID': 'relationship_manager_id',
    'User OS': 'user_os',
    'Viewing App': 'viewing_app',
    'User Groups': 'user_groups',
    'Shared Date': 'shared_date_text',
    'Shared Time': 'shared_time_text',
    'Title of Content': 'content_title',
    'Share Channel': 'share_channel',
    'Viewed': 'viewed_text',
    'Time Spent in Seconds': 'time_spent_text',
    'Last Activity Date': 'last_activity_date_text',
    'Last Activity Time': 'last_activity_time_text',
} %}
{% set filled_counts = [] %}
{% for column in fields.values() %}
    {% do filled_counts.append('count(' ~ column ~ ') as filled_' ~ column) %}
{% endfor %}

with

records as (
    select
        source_file,
        source_line,
        customer_code,
        coalesce(activity_type, 'unknown') as activity_type,
        extra_columns,
        {{ fields.values() | join(',\n        ') }}
    from {{ ref('base_share_view__activities') }}
),

{# one pass over the records: the record count and each field's filled count #}
file_counts as (
    select
        customer_code,
        source_file,
        activity_type,
        count(*) as records,
        {{ filled_counts | join(',\n        ') }}
    from records
    group by 1, 2, 3
),

contract_fields as (
    {% for label, column in fields.items() %}
        select
            customer_code,
            source_file,
            activity_type,
            '{{ label }}' as field_name,
            true as is_contract_field,
            records,
            filled_{{ column }} as filled_records
        from file_counts
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

extra_keys as (
    select
        customer_code,
        source_file,
        activity_type,
        {{ json_keys_unnested('extra_columns') }} as json_key
    from records
    where extra_columns is not null
),

extra_fields as (
    select
        extra_keys.customer_code,
        extra_keys.source_file,
        extra_keys.activity_type,
        extra_keys.json_key as field_name,
        false as is_contract_field,
        file_counts.records,
        count(*) as filled_records
    from extra_keys
    inner join file_counts
        on
            extra_keys.source_file = file_counts.source_file
            and extra_keys.activity_type = file_counts.activity_type
    group by 1, 2, 3, 4, 5, 6
),

all_fields as (
    select * from contract_fields
    union all
    select * from extra_fields
),

final as (
    select
        customer_code,
        source_file,
        activity_type,
        field_name,
        is_contract_field,
        records,
        filled_records,
        cast(filled_records as double) / records as fill_rate
    from all_fields
)

select * from final
