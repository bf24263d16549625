{#
    One row per level (customer or industry), group, dimension and category: views
    and minutes viewed by weekday, hour, month, device type, OS family and browser
    family, with the category's share of the group's views. Each exported view counts
    once (int_views_deduplicated). A view exported with a date but no time has hour
    'unknown'. The weekday x hour grid is rpt_view_weekday_hours.
#}

{% set dimensions = {
    'weekday': "cast(view_weekday as " ~ dbt.type_string() ~ ")",
    'hour': "coalesce(cast(view_hour as " ~ dbt.type_string() ~ "), 'unknown')",
    'month': "cast(view_month as " ~ dbt.type_string() ~ ")",
    'device_type': "coalesce(device_type, 'unknown')",
    'os_family': "coalesce(os_family, 'unknown')",
    'browser_family': "coalesce(browser_family, 'unknown')",
} %}

with

views as (
    select
        customer_code,
        industry,
        view_weekday,
        view_hour,
        view_month,
        device_type,
        os_family,
        browser_family,
        time_spent_seconds
    from {{ ref('int_views_deduplicated') }}
),

categorised as (
    {% for level in ['customer', 'industry'] %}
        {% for dimension, expression in dimensions.items() %}
            select
                '{{ level }}' as level,
                {{ 'customer_code' if level == 'customer' else 'industry' }} as group_value,
                '{{ dimension }}' as dimension,
                {{ expression }} as category,
                time_spent_seconds
            from views
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

counted as (
    select
        level,
        group_value,
        dimension,
        category,
        count(*) as views,
        -- whole seconds added up, then minutes: the same to the last bit in any order
        cast(coalesce(sum(time_spent_seconds), 0) as double) / 60 as minutes_viewed
    from categorised
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        cast(views as double)
        / sum(views) over (partition by level, group_value, dimension) as share_of_views
    from counted
)

select * from final
