{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_key', 'week_start_date'],
) }}

-- depends_on: {{ ref('int_user_days_aggregated') }}

{#
    One row per user per week of the user's spine (weeks start on var week_start_day):
    active days in the week and the user's lifecycle state that week.
      new           first active week
      returning     active, and active the week before
      resurrecting  active, not active the week before, active some week earlier
      dormant       not active, active the week before
    Later quiet weeks have no state (null). is_complete_week is false for a week the
    data does not yet cover in full. Incremental: a run recomputes each user type's weeks
    from the week of its latest built week start minus var('late_arrival_lookback_days')
    (per user: see user_recompute_starts).
#}

with

{% if is_incremental() -%}
    cutoffs as (
        select
            cutoff_user_type,
            {{ week_start('cutoff_date') }} as cutoff_date
        from ({{ incremental_cutoffs('week_start_date') }}) as latest_built
    ),

    recompute_starts as (
        select
            user_key,
            {{ week_start('recompute_from_date') }} as recompute_from_date
        from ({{ user_recompute_starts() }}) as user_starts
    ),
{%- endif %}

all_spine as (
    select
        user_key,
        user_type,
        calendar_date,
        first_active_date,
        is_active
    from {{ ref('int_user_day_spine') }}
),

-- The weeks to compute and the week before them (for the previous week's activity).
spine as (
    select all_spine.*
    from all_spine
    {{ after_user_cutoff('all_spine', 'calendar_date', days_before=7) }}
),

data_ends as (
    select
        user_type,
        data_end_date
    from {{ ref('int_user_type_data_ends') }}
),

weeks as (
    select
        user_key,
        user_type,
        {{ week_start('calendar_date') }} as week_start_date,
        {{ week_start('min(first_active_date)') }} as first_active_week_start_date,
        cast(sum(case when is_active then 1 else 0 end) as integer) as active_days
    from spine
    group by 1, 2, 3
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
    {{ after_user_cutoff('states', 'week_start_date') }}
)

select * from final
