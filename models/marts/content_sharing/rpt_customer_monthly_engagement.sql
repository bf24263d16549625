{#
    One row per share_view customer and month: the engagement figures of
    rpt_customer_engagement (each exported record once, exact duplicates counted apart;
    sharing users are the RMs who sent shares) for the records of that month
    (activity_month): a share counts in the month it was sent, a view in the month it
    happened (its Last Activity Date), as the metrics layer and the scores API date them.
    A share's own Last Activity Date moves from export to export, its send day does not.
#}

with

records as (
    select
        customer_code,
        customer_name,
        industry,
        -- a share's day is its send day, a view's the day it happened
        case
            when activity_type = 'SHARE'
                then coalesce(shared_local_date, last_activity_local_date)
            else last_activity_local_date
        end as activity_date,
        activity_type,
        relationship_manager_id,
        client_id,
        is_viewed,
        is_exact_duplicate,
        time_spent_seconds
    from {{ ref('int_share_view_activities_enriched') }}
),

activities as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as activity_month
    from records
),

{{ engagement_figures(
    'activities', ['customer_code', 'customer_name', 'industry', 'activity_month']
) }}

select * from final
