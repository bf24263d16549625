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

observable_actions as (
    select
        aha_users.user_type,
        aha_users.cohort_half,
        aha_users.is_retained,
        actions.action,
        actions.window_days,
        least(actions.times, {{ var('aha_max_threshold') }}) as capped_times
    from {{ ref('int_aha_user_actions') }} as actions
    inner join {{ ref('int_aha_users') }} as aha_users
        on actions.user_key = aha_users.user_key
    where aha_users.is_observable
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

thresholds as (
    {{ dbt.generate_series(var('aha_max_threshold')) }}
),

flagged as (
    select
        observable_actions.user_type,
        observable_actions.cohort_half,
        observable_actions.action,
        observable_actions.window_days,
        thresholds.generated_number as threshold,
        count(*) as flagged_users,
        count(case when observable_actions.is_retained then 1 end) as true_positives
    from observable_actions
    inner join thresholds on observable_actions.capped_times >= thresholds.generated_number
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
