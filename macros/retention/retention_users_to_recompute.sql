{#
    retention_users_to_recompute(cohorts, user_days, cutoffs): a select of the user_key of
    every user whose active periods (int_user_active_periods_numbered) an incremental run
    may change. cohorts (user_key, user_type, cohort_date), user_days (user_key,
    activity_date) and cutoffs (user_type, cutoff_date: the first day whose activity may
    have changed since the last run) name relations or CTEs in scope. A user is
    recomputed when its type has no cutoff yet; when its cohort day is on or after the
    cutoff (a new user, or one a late event moved); or when it was active on or after
    the cutoff, unless it was already active before the cutoff beyond every reported
    period (retention_max_days, _weeks and _months): its active and last active periods
    are then final.
#}
{% macro retention_users_to_recompute(cohorts, user_days, cutoffs) -%}
    select user_key
    from (
        select
            {{ cohorts }}.user_key,
            {{ cohorts }}.cohort_date,
            {{ cutoffs }}.cutoff_date,
            max({{ user_days }}.activity_date) as last_active_date,
            max(case
                when {{ user_days }}.activity_date < {{ cutoffs }}.cutoff_date
                    then {{ user_days }}.activity_date
            end) as last_active_before_cutoff_date
        from {{ cohorts }}
        left join {{ cutoffs }} on {{ cohorts }}.user_type = {{ cutoffs }}.user_type
        left join {{ user_days }} on {{ cohorts }}.user_key = {{ user_days }}.user_key
        group by 1, 2, 3
    ) as user_activity
    where
        cutoff_date is null
        or cohort_date >= cutoff_date
        or (
            last_active_date >= cutoff_date
            and not coalesce(
                last_active_before_cutoff_date
                >= {{ dbt.dateadd('day', var('retention_max_days') + 1, 'cohort_date') }}
                and last_active_before_cutoff_date
                >= {{ dbt.dateadd('day', 7 * (var('retention_max_weeks') + 1), 'cohort_date') }}
                and last_active_before_cutoff_date
                >= {{ dbt.dateadd('month', var('retention_max_months') + 1, 'cohort_date') }},
                false
            )
        )
{%- endmacro %}
