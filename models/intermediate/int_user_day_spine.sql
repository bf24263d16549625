{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_key', 'calendar_date'],
) }}

{#
    One row per user per calendar day from the user's first active day to
    trailing_window_days - 1 days after the last (never past the end of the data of the
    user's type): the dense series that trailing windows and weekly facts need. Days
    after the data ends are never invented. Incremental: a run recomputes each user
    type's days from its latest built day minus var('late_arrival_lookback_days'), and
    for a user who came back after the spine had ended, the gap since (see
    user_recompute_starts); the user bounds always come from all of the user's days.
#}

with

{% if is_incremental() -%}
    cutoffs as (
        {{ incremental_cutoffs('calendar_date') }}
    ),

    recompute_starts as (
        {{ user_recompute_starts() }}
    ),
{%- endif %}

all_user_days as (
    select
        user_key,
        user_type,
        user_id,
        customer_code,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
),

data_ends as (
    select
        user_type,
        data_end_date
    from {{ ref('int_user_type_data_ends') }}
),

user_bounds as (
    select
        all_user_days.user_key,
        all_user_days.user_type,
        all_user_days.user_id,
        all_user_days.customer_code,
        min(all_user_days.activity_date) as first_active_date,
        max(all_user_days.activity_date) as last_active_date,
        min(data_ends.data_end_date) as data_end_date
    from all_user_days
    inner join data_ends on all_user_days.user_type = data_ends.user_type
    group by 1, 2, 3, 4
),

spine_bounds as (
    select
        user_bounds.user_key,
        user_bounds.user_type,
        user_bounds.user_id,
        user_bounds.customer_code,
        user_bounds.first_active_date,
        {% if is_incremental() -%}
            case
                when
                    coalesce(recompute_starts.recompute_from_date, cutoffs.cutoff_date)
                    > user_bounds.first_active_date
                    then coalesce(recompute_starts.recompute_from_date, cutoffs.cutoff_date)
                else user_bounds.first_active_date
            end
        {%- else -%}
            user_bounds.first_active_date
        {%- endif %} as spine_start_date,
        least(
            cast({{ dbt.dateadd('day', var('trailing_window_days') - 1,
                'user_bounds.last_active_date') }} as date),
            user_bounds.data_end_date
        ) as spine_end_date
    from user_bounds
    {% if is_incremental() -%}
        left join cutoffs on user_bounds.user_type = cutoffs.cutoff_user_type
        left join recompute_starts on user_bounds.user_key = recompute_starts.user_key
    {%- endif %}
),

day_offsets as (
    {{ dbt.generate_series(var('spine_max_days')) }}
),

spine as (
    select
        spine_bounds.user_key,
        spine_bounds.user_type,
        spine_bounds.user_id,
        spine_bounds.customer_code,
        spine_bounds.first_active_date,
        cast({{ dbt.dateadd('day', 'day_offsets.generated_number - 1',
            'spine_bounds.spine_start_date') }} as date) as calendar_date
    from spine_bounds
    inner join day_offsets
        on
            day_offsets.generated_number - 1
            <= {{ dbt.datediff('spine_bounds.spine_start_date', 'spine_bounds.spine_end_date',
                'day') }}
),

flagged as (
    select
        spine.*,
        user_days.activity_date is not null as is_active
    from spine
    left join all_user_days as user_days
        on
            spine.user_key = user_days.user_key
            and spine.calendar_date = user_days.activity_date
)

select * from flagged
