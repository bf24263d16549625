{#
    One row per level (customer or industry), group, weekday and hour: views and
    minutes viewed, for the weekday x hour heat map. Each exported view counts once
    (int_views_deduplicated); a view without a time has no hour and is left out.
#}

with

views as (
    select
        customer_code,
        industry,
        view_weekday,
        view_weekday_name,
        view_hour,
        time_spent_seconds
    from {{ ref('int_views_deduplicated') }}
    where view_hour is not null
),

by_customer as (
    select
        'customer' as level,
        customer_code as group_value,
        view_weekday,
        view_weekday_name,
        view_hour,
        count(*) as views,
        -- whole seconds added up, then minutes: the same to the last bit in any order
        cast(coalesce(sum(time_spent_seconds), 0) as double) / 60 as minutes_viewed
    from views
    group by 1, 2, 3, 4, 5
),

by_industry as (
    select
        'industry' as level,
        industry as group_value,
        view_weekday,
        view_weekday_name,
        view_hour,
        count(*) as views,
        -- whole seconds added up, then minutes: the same to the last bit in any order
        cast(coalesce(sum(time_spent_seconds), 0) as double) / 60 as minutes_viewed
    from views
    group by 1, 2, 3, 4, 5
),

final as (
    select * from by_customer
    union all
    select * from by_industry
)

select * from final
