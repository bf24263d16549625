{#
    One row per client of a share_view customer (shared to, or a viewer): the client's
    engagement state at the end of the customer's data and the day it began.
      active   viewed within the last client_cooling_days days; began with the first
               view after the last gap of client_cooling_days or more
      cooling  viewed before, not within the last client_cooling_days days; began
               client_cooling_days after the last view
      dark     shared to, never viewed; began with the first share
    Cooling and dark clients are the on-the-fence candidates of the scoring work.
#}

with

shares as (
    select
        customer_code,
        industry,
        client_id,
        shared_date
    from {{ ref('int_shares_deduplicated') }}
),

views as (
    select
        customer_code,
        industry,
        client_id,
        viewed_date
    from {{ ref('int_views_deduplicated') }}
),

{# the end of a customer's data: its latest record, a share's last activity included
   (an exact duplicate repeats a kept record's day, so it cannot move the latest day) #}
data_ends as (
    select
        customer_code,
        max(last_activity_local_date) as as_of_date
    from {{ ref('int_share_view_activities_enriched') }}
    group by 1
),

view_days as (
    select distinct
        customer_code,
        client_id,
        viewed_date as view_date
    from views
),

previous_views as (
    select
        customer_code,
        client_id,
        view_date,
        lag(view_date) over (
            partition by customer_code, client_id order by view_date
        ) as previous_view_date
    from view_days
),

-- A run of views starts at the first view or after a gap of client_cooling_days or more.
view_runs as (
    select
        customer_code,
        client_id,
        view_date as run_start_date
    from previous_views
    where
        previous_view_date is null
        or {{ dbt.datediff('previous_view_date', 'view_date', 'day') }}
        >= {{ var('client_cooling_days') }}
),

client_records as (
    select
        customer_code,
        industry,
        client_id,
        'SHARE' as activity_type,
        shared_date as activity_date
    from shares
    union all
    select
        customer_code,
        industry,
        client_id,
        'VIEW' as activity_type,
        viewed_date as activity_date
    from views
),

clients as (
    select
        customer_code,
        client_id,
        min(industry) as industry,
        count(case when activity_type = 'SHARE' then 1 end) as shares_received,
        count(case when activity_type = 'VIEW' then 1 end) as views,
        min(case when activity_type = 'SHARE' then activity_date end) as first_share_date,
        max(case when activity_type = 'SHARE' then activity_date end) as last_share_date,
        min(case when activity_type = 'VIEW' then activity_date end) as first_view_date,
        max(case when activity_type = 'VIEW' then activity_date end) as last_view_date
    from client_records
    group by 1, 2
),

last_runs as (
    select
        customer_code,
        client_id,
        max(run_start_date) as last_run_start_date
    from view_runs
    group by 1, 2
),

states as (
    select
        clients.*,
        data_ends.as_of_date,
        case
            when clients.last_view_date is null then 'dark'
            when
                {{ dbt.datediff('clients.last_view_date', 'data_ends.as_of_date', 'day') }}
                < {{ var('client_cooling_days') }}
                then 'active'
            else 'cooling'
        end as engagement_state,
        last_runs.last_run_start_date
    from clients
    inner join data_ends on clients.customer_code = data_ends.customer_code
    left join last_runs
        on
            clients.customer_code = last_runs.customer_code
            and clients.client_id = last_runs.client_id
),

final as (
    select
        customer_code,
        client_id,
        industry,
        engagement_state,
        cast(case engagement_state
            when 'dark' then first_share_date
            when 'active' then last_run_start_date
            else {{ dbt.dateadd('day', var('client_cooling_days'), 'last_view_date') }}
        end as date) as state_began_on,
        as_of_date,
        shares_received,
        views,
        first_share_date,
        last_share_date,
        first_view_date,
        last_view_date
    from states
)

select * from final
