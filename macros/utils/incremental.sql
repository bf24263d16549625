{#
    Helpers of the incremental user-day models.

    incremental_cutoffs(date_column, type_column, days_before): on an incremental run,
    one row per user type with the first day to recompute: the latest day {{ this }}
    holds for that type, minus var('late_arrival_lookback_days') (events that arrive
    late by up to that many days are picked up), minus days_before (the history a
    trailing window needs). A type {{ this }} does not hold yet has no row: all its days
    are computed.
#}

{% macro incremental_cutoffs(date_column, type_column='user_type', days_before=0) %}
    select
        {{ type_column }} as cutoff_user_type,
        cast({{ dbt.dateadd(
            'day',
            -(var('late_arrival_lookback_days') + days_before),
            'max(' ~ date_column ~ ')') }} as date) as cutoff_date
    from {{ this }}
    group by 1
{% endmacro %}

{#
    after_cutoff(alias, date_column, days_before): on an incremental run, the join and
    where clause that keep the rows of alias (a relation with user_type) on or after
    their type's cutoff from the CTE named cutoffs (see incremental_cutoffs), less
    days_before days. Nothing on a full build.
#}
{% macro after_cutoff(alias, date_column, days_before=0, type_column='user_type') -%}
    {%- if is_incremental() %}
        left join cutoffs on {{ alias }}.{{ type_column }} = cutoffs.cutoff_user_type
        where
            cutoffs.cutoff_date is null
            or {{ alias }}.{{ date_column }} >= {{ dbt.dateadd(
                'day', -days_before, 'cutoffs.cutoff_date') }}
    {%- endif %}
{%- endmacro %}

{#
    user_recompute_starts(): on an incremental run, one row per user with days before
    the cutoff: the first day to recompute for that user. A spine ends
    trailing_window_days - 1 days after the user's last active day, so a user who comes
    back after a longer absence has a gap to fill before the cutoff: recomputing starts
    at the earlier of the cutoff and the day after the old spine's end. Needs the CTE
    cutoffs. after_user_cutoff(alias, date_column, days_before): like after_cutoff, per
    user (alias needs user_key and user_type; needs the CTEs cutoffs and
    recompute_starts).
#}
{% macro user_recompute_starts() -%}
    select
        user_days.user_key,
        least(
            cutoffs.cutoff_date,
            cast({{ dbt.dateadd('day', var('trailing_window_days'),
                'max(user_days.activity_date)') }} as date)
        ) as recompute_from_date
    from {{ ref('int_user_days_aggregated') }} as user_days
    inner join cutoffs on user_days.user_type = cutoffs.cutoff_user_type
    where user_days.activity_date < cutoffs.cutoff_date
    group by user_days.user_key, cutoffs.cutoff_date
{%- endmacro %}

{% macro after_user_cutoff(alias, date_column, days_before=0) -%}
    {%- if is_incremental() %}
        left join cutoffs on {{ alias }}.user_type = cutoffs.cutoff_user_type
        left join recompute_starts on {{ alias }}.user_key = recompute_starts.user_key
        where
            cutoffs.cutoff_date is null
            or {{ alias }}.{{ date_column }} >= {{ dbt.dateadd('day', -days_before,
                'coalesce(recompute_starts.recompute_from_date, cutoffs.cutoff_date)') }}
    {%- endif %}
{%- endmacro %}
