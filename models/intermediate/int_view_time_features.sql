{#
    One row per view with a time spent (int_views_deduplicated): the context
    of the view (customer, industry, device, OS and browser family, hour, weekday,
    month, channel of the share it came from) and what was known about its content
    before it (content kind; the title's earlier views and their mean log time spent,
    from strictly earlier views only, never the view's own time). The target of the
    time-spent regressions is log(1 + seconds).
#}

with

views as (
    select
        view_id,
        customer_code,
        industry,
        coalesce(device_type, 'unknown') as device_type,
        coalesce(os_family, 'unknown') as os_family,
        coalesce(browser_family, 'unknown') as browser_family,
        coalesce(share_channel, 'unknown') as share_channel,
        view_hour,
        view_weekday,
        cast(extract(month from viewed_date) as integer) as view_month_number,
        content_title,
        content_kind,
        viewed_at,
        time_spent_seconds,
        ln(1 + time_spent_seconds) as log_time_spent
    from {{ ref('int_views_deduplicated') }}
    where time_spent_seconds is not null and viewed_at is not null
),

with_history as (
    select
        *,
        count(*) over earlier_views_of_title as title_prior_views,
        avg(log_time_spent) over earlier_views_of_title as title_prior_mean_log_time_spent
    from views
    window earlier_views_of_title as (
        partition by customer_code, content_title
        order by viewed_at, view_id
        rows between unbounded preceding and 1 preceding
    )
)

select * from with_history
