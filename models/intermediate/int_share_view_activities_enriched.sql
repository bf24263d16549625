{{ config(materialized='table') }}

{#
    One row per staged share_view record (SHARE or VIEW), with its customer's name and
    industry, the content kind, report-zone times and calendar parts, and a record id
    (file:line). A VIEW row names the share it came from (same customer, client, RM,
    content and Shared Date/Time); share_id links it to that share's first copy.
#}

with

activities as (
    select * from {{ ref('stg_share_view__activities') }}
),

customers as (
    select
        customer_code,
        customer_name,
        industry
    from {{ ref('customers') }}
),

share_candidates as (
    select
        source_file,
        source_line,
        customer_code,
        client_id,
        relationship_manager_id,
        content_title,
        shared_at,
        row_number() over (
            partition by customer_code, client_id, relationship_manager_id, content_title, shared_at
            order by source_file, source_line
        ) as copy_number
    from activities
    where activity_type = 'SHARE'
),

-- The first copy of each share: exact duplicates and look-alikes link nowhere else.
shares as (
    select * from share_candidates
    where copy_number = 1
),

prepared as (
    select
        {{ dbt.concat(['activities.source_file', "':'",
            'cast(activities.source_line as ' ~ dbt.type_string() ~ ')']) }} as activity_id,
        activities.*,
        coalesce(customers.customer_name, activities.customer_code) as customer_name,
        coalesce(customers.industry, 'unknown') as industry,
        {{ content_kind('activities.content_title') }} as content_kind,
        {{ to_report_time('activities.shared_at') }} as shared_at_local,
        {{ to_report_time('activities.last_activity_at') }} as last_activity_at_local
    from activities
    left join customers on activities.customer_code = customers.customer_code
),

linked as (
    select
        prepared.*,
        case
            when prepared.activity_type = 'SHARE' then prepared.activity_id
            when prepared.activity_type = 'VIEW'
                then {{ dbt.concat(['shares.source_file', "':'",
                    'cast(shares.source_line as ' ~ dbt.type_string() ~ ')']) }}
        end as share_id
    from prepared
    -- Equality keys only: a condition on one side in the ON clause (activity_type) makes
    -- DuckDB fall back to a nested-loop join, quadratic in the rows. Shares are unique
    -- per key, so SHARE rows matching their own first copy add no rows; the case above
    -- keeps the link for VIEW rows only.
    left join shares
        on
            prepared.customer_code = shares.customer_code
            and prepared.client_id = shares.client_id
            and prepared.relationship_manager_id = shares.relationship_manager_id
            and prepared.content_title = shares.content_title
            and prepared.shared_at = shares.shared_at
),

final as (
    select
        *,
        coalesce(
            cast(last_activity_at_local as date), last_activity_date
        ) as last_activity_local_date,
        cast(extract(hour from last_activity_at_local) as integer)
            as last_activity_hour,
        {{ iso_weekday('coalesce(cast(last_activity_at_local as date), last_activity_date)') }}
            as last_activity_weekday,
        coalesce(cast(shared_at_local as date), shared_date) as shared_local_date,
        cast(extract(hour from shared_at_local) as integer) as shared_hour,
        {{ iso_weekday('coalesce(cast(shared_at_local as date), shared_date)') }}
            as shared_weekday
    from linked
)

select * from final
