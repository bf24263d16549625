{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_key', 'week_start_date'],
) }}

{#
    One row per user per week of the user's spine (weeks start on var week_start_day;
    the spine runs from the first active day to trailing_window_days - 1 days after the
    last, never past the end of the data):
    active days in the week and the user's lifecycle state that week.
      new           first active week
      returning     active, and active the week before
      resurrecting  active, not active the week before, active some week earlier
      dormant       not active, active the week before
    Later quiet weeks have no state (null). is_complete_week is false for a week the
    data does not yet cover in full. Incremental: a run recomputes each user type's weeks
    from the week of its latest built week start less var('late_arrival_lookback_days')
    (earlier for a user who came back after a long absence).
#}

with

user_days as (
    select
        user_key,
        user_type,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

data_ends as (
    select
        user_type,
        data_end_date
    from {{ ref('int_user_type_data_ends_computed') }}
),

spine_bounds as (
    select
        user_key,
        user_type,
        first_active_date,
        spine_end_date
    from {{ ref('int_user_spines_bounded') }}
),

{% if is_incremental() -%}
    -- Per user type already built, the first week to recompute.
    cutoffs as (
        select
            user_type,
            {{ week_start(lookback_start('max(week_start_date)')) }} as cutoff_date
        from {{ this }}
        group by 1
    ),

    -- Per user active before the cutoff: the day after the spine built for the user
    -- ended (trailing_window_days - 1 days after the last active day before the cutoff).
    built_spine_ends as (
        select
            user_days.user_key,
            cutoffs.cutoff_date,
            cast({{ dbt.dateadd('day', var('trailing_window_days'),
                'max(user_days.activity_date)') }} as date) as after_spine_date
        from user_days
        inner join cutoffs on user_days.user_type = cutoffs.user_type
        where user_days.activity_date < cutoffs.cutoff_date
        group by 1, 2
    ),

    -- Their first week to recompute: the cutoff, or the week of the day after the old
    -- spine, if earlier (a user back after a longer absence has quiet weeks to fill
    -- in). Other users start on or after the cutoff and are computed in full.
    recompute_starts as (
        select
            user_key,
            {{ week_start('least(cutoff_date, after_spine_date)') }} as recompute_from_date
        from built_spine_ends
    ),
{%- endif %}

-- The weeks of each user's spine: from the week of the first active day to the week of
-- the spine's last day, a seventh of the daily rows.
user_bounds as (
    select
        user_key,
        user_type,
        {{ week_start('first_active_date') }} as first_active_week_start_date,
        {{ week_start('spine_end_date') }} as last_week_start_date
    from spine_bounds
),

-- The first week to compute: the first active week; on an incremental run, for a
-- recomputed user, the week before the first week to recompute if later (for that
-- week's previous-week activity). The weeks before it are not even generated.
compute_starts as (
    select
        user_bounds.*,
        {%- if is_incremental() %}
            greatest(
                user_bounds.first_active_week_start_date,
                coalesce(
                    cast(
                        {{ dbt.dateadd('day', -7, 'recompute_starts.recompute_from_date') }}
                        as date
                    ),
                    user_bounds.first_active_week_start_date
                )
            ) as first_computed_week_start_date
        {%- else %}
            user_bounds.first_active_week_start_date as first_computed_week_start_date
        {%- endif %}
    from user_bounds
    {%- if is_incremental() %}
    left join recompute_starts on user_bounds.user_key = recompute_starts.user_key
    {%- endif %}
),

week_offsets as (
    {{ dbt.generate_series((var('spine_max_days') / 7) | int + 2) }}
),

-- The weeks to compute, from each user's first week to compute to the spine's last.
spine_weeks as (
    select
        compute_starts.user_key,
        compute_starts.user_type,
        compute_starts.first_active_week_start_date,
        cast({{ dbt.dateadd('day', '7 * (week_offsets.generated_number - 1)',
            'compute_starts.first_computed_week_start_date') }} as date) as week_start_date
    from compute_starts
    inner join week_offsets
        on
            week_offsets.generated_number - 1
            <= {{ dbt.datediff('compute_starts.first_computed_week_start_date',
                'compute_starts.last_week_start_date', 'day') }} / 7
),

active_weeks as (
    select
        user_key,
        {{ week_start('activity_date') }} as week_start_date,
        count(*) as active_days
    from user_days
    group by 1, 2
),

weeks as (
    select
        spine_weeks.user_key,
        spine_weeks.user_type,
        spine_weeks.week_start_date,
        spine_weeks.first_active_week_start_date,
        cast(coalesce(active_weeks.active_days, 0) as integer) as active_days
    from spine_weeks
    left join active_weeks
        on
            spine_weeks.user_key = active_weeks.user_key
            and spine_weeks.week_start_date = active_weeks.week_start_date
),

with_previous as (
    select
        weeks.*,
        data_ends.data_end_date,
        lag(weeks.active_days) over (
            partition by weeks.user_key order by weeks.week_start_date
        ) as previous_week_active_days
    from weeks
    inner join data_ends on weeks.user_type = data_ends.user_type
),

states as (
    select
        user_key,
        user_type,
        week_start_date,
        active_days,
        active_days > 0 as is_active,
        {{ dbt.dateadd('day', 6, 'week_start_date') }} <= data_end_date as is_complete_week,
        case
            when week_start_date = first_active_week_start_date then 'new'
            when active_days > 0 and previous_week_active_days > 0 then 'returning'
            when active_days > 0 then 'resurrecting'
            when previous_week_active_days > 0 then 'dormant'
        end as lifecycle_state
    from with_previous
),

-- The weeks to store: on an incremental run, from each recomputed user's first week to
-- recompute (the week before only gave its previous-week activity).
final as (
    select
        states.user_key,
        states.user_type,
        states.week_start_date,
        states.active_days,
        states.is_active,
        cast(states.is_complete_week as boolean) as is_complete_week,
        states.lifecycle_state
    from states
    {%- if is_incremental() %}
    left join recompute_starts on states.user_key = recompute_starts.user_key
    where
        recompute_starts.recompute_from_date is null
        or states.week_start_date >= recompute_starts.recompute_from_date
    {%- endif %}
)

select * from final
