{#
    One row per share_view customer: the engagement figures the business reports,
    counted over SHARE and VIEW rows as the export holds them (re-sends and exact
    duplicates included; the duplicates also counted apart), so that they reconcile
    with a count of the raw export by hand. Rejected records (see rpt_landing_files)
    are not counted.
#}

with

activities as (
    select
        customer_code,
        customer_name,
        industry,
        activity_type,
        client_id,
        is_viewed,
        is_exact_duplicate,
        time_spent_seconds
    from {{ ref('int_share_view_activities_enriched') }}
),

engagement as (
    {{ share_view_engagement('activities', ['customer_code', 'customer_name', 'industry']) }}
)

select * from engagement
