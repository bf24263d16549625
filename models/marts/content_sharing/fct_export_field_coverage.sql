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

record_counts as (
    select
        customer_code,
        source_file,
        activity_type,
        count(*) as records
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
            count({{ column }}) as filled_records
        from records
        group by 1, 2, 3
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

extra_keys as (
    {{ json_object_keys('records', dbt.concat(['source_file', "':'",
        'cast(source_line as ' ~ dbt.type_string() ~ ')']), 'extra_columns') }}
),

extra_fields as (
    select
        records.customer_code,
        records.source_file,
        records.activity_type,
        extra_keys.json_key as field_name,
        false as is_contract_field,
        count(*) as filled_records
    from extra_keys
    inner join records
        on extra_keys.row_key = {{ dbt.concat(['records.source_file', "':'",
            'cast(records.source_line as ' ~ dbt.type_string() ~ ')']) }}
    group by 1, 2, 3, 4
),

all_fields as (
    select * from contract_fields
    union all
    select * from extra_fields
),

final as (
    select
        all_fields.customer_code,
        all_fields.source_file,
        all_fields.activity_type,
        all_fields.field_name,
        all_fields.is_contract_field,
        record_counts.records,
        all_fields.filled_records,
        cast(all_fields.filled_records as double) / record_counts.records as fill_rate
    from all_fields
    inner join record_counts
        on
            all_fields.source_file = record_counts.source_file
            and all_fields.activity_type = record_counts.activity_type
)

select * from final
