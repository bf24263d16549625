{#
    One row per share_view customer: the engagement figures the business reports. Each
    exported record counts once: exact duplicate rows (export artefacts) are left out of
    every figure and counted apart (exact_duplicate_shares, exact_duplicate_views), so
    that shares + exact_duplicate_shares and views + exact_duplicate_views reconcile with
    a count of the raw export by hand; re-sends are shares. Sharing users are the
    relationship managers who sent shares; share_recipients the clients who received
    them. The same figures as fct_shares, the metrics layer and the API (see
    engagement_figures). Reads the flagged records (int_share_view_activities_enriched)
    to count the duplicates. Rejected records (see rpt_landing_files) are not counted.
#}

with

activities as (
    select
        customer_code,
        customer_name,
        industry,
        activity_type,
        relationship_manager_id,
        client_id,
        is_viewed,
        is_exact_duplicate,
        time_spent_seconds
    from {{ ref('int_share_view_activities_enriched') }}
),

{{ engagement_figures('activities', ['customer_code', 'customer_name', 'industry']) }}

select * from final
