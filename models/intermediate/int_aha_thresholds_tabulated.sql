{#
    One row per user type, cohort (all, earlier, later), candidate action, threshold k
    (1..aha_max_threshold) and early window d (1..aha_max_window_days): the 2 x 2 table
    of "did the action at least k times in days 0..d-1" against "retained", over the
    users the data observes through the retention days and whose first active day is
    past the burn-in of their export (int_aha_users_labelled.is_in_burn_in), and what it gives: reach,
    precision, recall, phi, lift. Every cell exists, for each action of the user type
    (one that some observable user of the type did in the first aha_max_window_days
    days) and each of its cohorts with users, and counts the cohort's whole population:
    a cell that nobody of the cohort reached has no flagged users, and its precision,
    phi and lift are null (undefined). Windows that reach into the retention days are
    flagged (overlaps_retention_days) and thresholds with fewer than aha_min_users users
    on either side are not rankable.
#}

with

users as (
    select
        user_key,
        user_type,
        cohort_half,
        is_retained
    from {{ ref('int_aha_users_labelled') }}
    where is_observable and not is_in_burn_in
),

milestones as (
    select
        user_key,
        action,
        threshold,
        day_number
    from {{ ref('int_aha_action_milestones_dated') }}
),

thresholds as (
    {{ dbt.generate_series(var('aha_max_threshold')) }}
),

windows as (
    {{ dbt.generate_series(var('aha_max_window_days')) }}
),

{# the users of each cohort: each half, and all (both halves) #}
populations as (
    select
        user_type,
        cohort_half as cohort,
        count(*) as users,
        count(case when is_retained then 1 end) as retained_users
    from users
    group by 1, 2
    union all
    select
        user_type,
        'all' as cohort,
        count(*) as users,
        count(case when is_retained then 1 end) as retained_users
    from users
    group by 1, 2
),

{# per day number: how many observable users of a half reached k, and how many of them
   retained #}
reached_by_half as (
    select
        users.user_type,
        users.cohort_half as cohort,
        milestones.action,
        milestones.threshold,
        milestones.day_number,
        count(*) as users_reaching,
        count(case when users.is_retained then 1 end) as retained_users_reaching
    from milestones
    inner join users on milestones.user_key = users.user_key
    group by 1, 2, 3, 4, 5
),

reached as (
    select * from reached_by_half
    union all
    select
        user_type,
        'all' as cohort,
        action,
        threshold,
        day_number,
        sum(users_reaching) as users_reaching,
        sum(retained_users_reaching) as retained_users_reaching
    from reached_by_half
    group by 1, 2, 3, 4, 5
),

{# "at least k times within d days": reached k on a day before day d #}
flagged as (
    select
        reached.user_type,
        reached.cohort,
        reached.action,
        reached.threshold,
        windows.generated_number as window_days,
        sum(reached.users_reaching) as flagged_users,
        sum(reached.retained_users_reaching) as true_positives
    from reached
    inner join windows on reached.day_number < windows.generated_number
    group by 1, 2, 3, 4, 5
),

{# the actions of a user type: those that some observable user of it did within the
   window; each gets every threshold and window in every cohort with users #}
user_type_actions as (
    select distinct
        user_type,
        action
    from reached_by_half
),

cell_grid as (
    select
        populations.user_type,
        populations.cohort,
        user_type_actions.action,
        thresholds.generated_number as threshold,
        windows.generated_number as window_days,
        populations.users,
        populations.retained_users
    from populations
    inner join user_type_actions on populations.user_type = user_type_actions.user_type
    cross join thresholds
    cross join windows
),

{# a cell that nobody of the cohort reached still holds the whole cohort: 0 flagged #}
cells as (
    select
        cell_grid.user_type,
        cell_grid.cohort,
        cell_grid.action,
        cell_grid.threshold,
        cell_grid.window_days,
        cell_grid.users,
        cell_grid.retained_users,
        coalesce(flagged.flagged_users, 0) as flagged_users,
        coalesce(flagged.true_positives, 0) as true_positives
    from cell_grid
    left join flagged
        on
            cell_grid.user_type = flagged.user_type
            and cell_grid.cohort = flagged.cohort
            and cell_grid.action = flagged.action
            and cell_grid.threshold = flagged.threshold
            and cell_grid.window_days = flagged.window_days
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
