{#
    One row per level (customer or industry), group, weekday and hour: views and
    minutes viewed, for the weekday x hour heat map. Exact duplicate view rows are left
    out.
#}

with

views as (
    select
        customer_code,
        industry,
        view_weekday,
        view_weekday_name,
        view_hour,
        minutes_viewed
    from {{ ref('int_views_linked') }}
    where not is_exact_duplicate and view_hour is not null
),

by_customer as (
    select
        'customer' as level,
        customer_code as group_value,
        view_weekday,
        view_weekday_name,
        view_hour,
        count(*) as views,
        coalesce(sum(minutes_viewed), 0) as minutes_viewed
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
        coalesce(sum(minutes_viewed), 0) as minutes_viewed
    from views
    group by 1, 2, 3, 4, 5
),

final as (
    select * from by_customer
    union all
    select * from by_industry
)

select * from final
