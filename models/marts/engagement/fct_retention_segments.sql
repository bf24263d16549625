{#
    One row per user type, segment and week N after the cohort date: weekly retention
    ("active in week N" and "in week N or later") of every segment, all cohorts
    together. Segments: creation source (accounts); OS family, browser family, device
    type and plan of the first active day (web-tool users); customer, industry, OS
    family, browser family and device type of the first view (clients). As in
    fct_retention_cohorts, rates count only users whose week N the data covers.
#}

{# segment -> the user types it describes #}
{% set segments = {
    'creation_source': ['account'],
    'os_family': ['web_user', 'client'],
    'browser_family': ['web_user', 'client'],
    'device_type': ['web_user', 'client'],
    'plan': ['web_user'],
    'customer_code': ['client'],
    'industry': ['client'],
} %}

with

periods as (
    select
        user_key,
        period_number,
        is_observable,
        is_active,
        is_active_on_or_after
    from {{ ref('int_user_retention_periods') }}
    where period_unit = 'week'
),

cohorts as (
    select
        user_key,
        user_type,
        {{ segments.keys() | join(',\n        ') }}
    from {{ ref('int_user_cohorts') }}
),

segment_members as (
    {% for segment, user_types in segments.items() %}
        select
            user_key,
            user_type,
            '{{ segment }}' as segment_type,
            coalesce({{ segment }}, 'unknown') as segment_value
        from cohorts
        where user_type in ({{ "'" ~ user_types | join("', '") ~ "'" }})
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

cells as (
    select
        segment_members.user_type,
        segment_members.segment_type,
        segment_members.segment_value,
        periods.period_number as week_number,
        count(*) as user_count,
        count(case when periods.is_observable then 1 end) as observable_users,
        count(case when periods.is_observable and periods.is_active then 1 end)
            as retained_users,
        count(case when periods.is_observable and periods.is_active_on_or_after then 1 end)
            as retained_or_later_users
    from segment_members
    inner join periods on segment_members.user_key = periods.user_key
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        cast(retained_users as double) / nullif(observable_users, 0) as retention_rate,
        cast(retained_or_later_users as double)
        / nullif(observable_users, 0) as unbounded_retention_rate,
        observable_users = user_count as is_complete
    from cells
)

select * from final
