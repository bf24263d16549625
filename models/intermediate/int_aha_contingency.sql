{{ config(materialized='table') }}

{#
    One row per user type, cohort (all, earlier, later), candidate action, threshold k
    (1..aha_max_threshold) and early window d (1..aha_max_window_days): the 2 x 2 table
    of "did the action at least k times in days 0..d-1" against "retained", over the
    users the data observes through the retention days, and what it gives: reach,
    precision, recall, phi, lift. Windows that reach into the retention days are flagged
    (overlaps_retention_days) and thresholds with fewer than aha_min_users users on
    either side are not rankable.
#}

with

users as (
    select
        user_type,
        cohort_half,
        is_retained
    from {{ ref('int_aha_users') }}
    where is_observable
),

{# per day number: how many observable users reached k, and how many of them retained #}
observable_milestones as (
    select
        aha_users.user_type,
        aha_users.cohort_half,
        milestones.action,
        milestones.threshold,
        milestones.day_number,
        count(*) as users_reaching,
        count(case when aha_users.is_retained then 1 end) as retained_users_reaching
    from {{ ref('int_aha_action_milestones') }} as milestones
    inner join {{ ref('int_aha_users') }} as aha_users
        on milestones.user_key = aha_users.user_key
    where aha_users.is_observable
    group by 1, 2, 3, 4, 5
),

populations as (
    select
        user_type,
        cohort_half,
        count(*) as users,
        count(case when is_retained then 1 end) as retained_users
    from users
    group by 1, 2
),

windows as (
    {{ dbt.generate_series(var('aha_max_window_days')) }}
),

{# "at least k times within d days": reached k on a day before day d #}
flagged as (
    select
        observable_milestones.user_type,
        observable_milestones.cohort_half,
        observable_milestones.action,
        windows.generated_number as window_days,
        observable_milestones.threshold,
        sum(observable_milestones.users_reaching) as flagged_users,
        sum(observable_milestones.retained_users_reaching) as true_positives
    from observable_milestones
    inner join windows on observable_milestones.day_number < windows.generated_number
    group by 1, 2, 3, 4, 5
),

by_half as (
    select
        flagged.user_type,
        flagged.cohort_half as cohort,
        flagged.action,
        flagged.threshold,
        flagged.window_days,
        populations.users,
        populations.retained_users,
        flagged.flagged_users,
        flagged.true_positives
    from flagged
    inner join populations
        on
            flagged.user_type = populations.user_type
            and flagged.cohort_half = populations.cohort_half
),

all_cohorts as (
    select
        user_type,
        'all' as cohort,
        action,
        threshold,
        window_days,
        sum(users) as users,
        sum(retained_users) as retained_users,
        sum(flagged_users) as flagged_users,
        sum(true_positives) as true_positives
    from by_half
    group by 1, 2, 3, 4, 5
),

cells as (
    select * from by_half
    union all
    select * from all_cohorts
),

tables as (
    select
        user_type,
        cohort,
        action,
        threshold,
        window_days,
        cast(users as {{ dbt.type_bigint() }}) as users,
        cast(true_positives as {{ dbt.type_bigint() }}) as true_positives,
        cast(flagged_users - true_positives as {{ dbt.type_bigint() }}) as false_positives,
        cast(retained_users - true_positives as {{ dbt.type_bigint() }}) as false_negatives,
        cast(users - flagged_users - retained_users + true_positives as {{ dbt.type_bigint() }})
            as true_negatives
    from cells
),

final as (
    select
        *,
        cast(true_positives + false_positives as double) / users as reach,
        cast(true_positives + false_negatives as double) / users as retention_rate,
        cast(true_positives as double)
        / nullif(true_positives + false_positives, 0) as precision,
        cast(true_positives as double)
        / nullif(true_positives + false_negatives, 0) as recall,
        (
            cast(true_positives as double) * true_negatives
            - cast(false_positives as double) * false_negatives
        )
        / nullif(sqrt(
            cast(true_positives + false_positives as double)
            * (false_negatives + true_negatives)
            * (true_positives + false_negatives)
            * (false_positives + true_negatives)
        ), 0) as phi,
        (cast(true_positives as double) / nullif(true_positives + false_positives, 0))
        / nullif(cast(true_positives + false_negatives as double) / users, 0) as lift,
        window_days > {{ var('aha_retention_start_day') }} as overlaps_retention_days,
        true_positives + false_positives >= {{ var('aha_min_users') }}
        and false_negatives + true_negatives >= {{ var('aha_min_users') }}
        and window_days <= {{ var('aha_retention_start_day') }} as is_rankable
    from tables
)

select * from final
