{#
    The engagement figures of rpt_customer_engagement and rpt_customer_monthly_engagement:
    the CTEs `counted_records`, `counted` and `final`, grouped by group_columns (customer
    first). Goes inside the model's `with`, after the CTE named by `records` (records of
    int_share_view_activities_enriched with the group columns, activity_type,
    relationship_manager_id, client_id, is_viewed, is_exact_duplicate and
    time_spent_seconds); the model ends with `select * from final`. Every figure counts each exported record
    once: exact duplicates (export artefacts) are left out and counted apart, so that
    shares + exact_duplicate_shares is the export's SHARE rows; re-sends are shares.
      sharing_users      relationship managers who sent at least one share (the group is
                         within one customer: an RM ID is unique only within its export)
      share_recipients   clients who received at least one share
#}
{% macro engagement_figures(records, group_columns) -%}
    -- Each exported record once: the exact duplicates are counted apart.
    counted_records as (
        select
            *,
            activity_type = 'SHARE' and not is_exact_duplicate as is_share,
            activity_type = 'VIEW' and not is_exact_duplicate as is_view
        from {{ records }}
    ),

    counted as (
        select
            {% for column in group_columns -%}
                {{ column }},
            {% endfor -%}
            count(distinct case when is_share then relationship_manager_id end)
                as sharing_users,
            count(distinct case when is_share then client_id end) as share_recipients,
            count(case when is_share then 1 end) as shares,
            count(case when activity_type = 'SHARE' and is_exact_duplicate then 1 end)
                as exact_duplicate_shares,
            count(case when is_share and is_viewed then 1 end) as viewed_shares,
            count(case when is_view then 1 end) as views,
            count(case when activity_type = 'VIEW' and is_exact_duplicate then 1 end)
                as exact_duplicate_views,
            count(distinct case when is_view then client_id end) as viewing_clients,
            coalesce(sum(case when is_view then time_spent_seconds end), 0)
            / 60.0 as total_minutes_viewed,
            {{ percentile('case when is_view then time_spent_seconds end', 0.5) }}
            / 60.0 as median_minutes_viewed
        from counted_records
        group by {% for column in group_columns %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
    ),

    final as (
        select
            {% for column in group_columns -%}
                {{ column }},
            {% endfor -%}
            sharing_users,
            share_recipients,
            shares,
            cast(shares as double) / nullif(sharing_users, 0) as shares_per_sharing_user,
            exact_duplicate_shares,
            viewed_shares,
            cast(viewed_shares as double) / nullif(shares, 0) as share_view_through_rate,
            views,
            exact_duplicate_views,
            cast(views as double) / nullif(shares, 0) as views_per_share,
            viewing_clients,
            total_minutes_viewed,
            median_minutes_viewed
        from counted
    )
{%- endmacro %}
