{#
    Helpers of the incremental models.

    only_new_source_files(column): on an incremental run, keep only the records of
    landing files that {{ this }} does not hold yet (landing is append-only by file, so
    a file is either wholly processed or not at all). Nothing on a full build.

    incremental_cutoffs(date_column, type_column, days_before): on an incremental run,
    one row per user type with the first day to recompute: the latest day {{ this }}
    holds for that type, minus var('late_arrival_lookback_days') (events that arrive
    late by up to that many days are picked up), minus days_before (the history a
    trailing window needs). A type {{ this }} does not hold yet has no row: all its days
    are computed.

    duplicate_key(columns): one value per distinct combination of the columns (nulls
    included), so that an exact duplicate can be found among the records already staged
    by an earlier run: MD5 of the values quoted CSV-style (DuckDB: as a 128-bit number).
#}
{% macro only_new_source_files(column, this_column='source_file', keyword='where') %}
    {%- if is_incremental() %}
        {{ keyword }} {{ column }} not in (select distinct {{ this_column }} from {{ this }})
    {%- endif %}
{% endmacro %}

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

{% macro duplicate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append(
            "coalesce('\"' || replace(cast(" ~ column ~ " as " ~ dbt.type_string()
            ~ "), '\"', '\"\"') || '\"', 'null')") -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('duplicate_key', 'uptake')(parts | join(" || ',' || "))) }}
{%- endmacro %}

{% macro default__duplicate_key(text) -%}
    {{ dbt.hash(text) }}
{%- endmacro %}

{% macro duckdb__duplicate_key(text) -%}
    md5_number({{ text }})
{%- endmacro %}

{#
    later_copies(batch): CTEs ending in later_copies, the source_file and source_line of
    every record of the batch that is an exact duplicate: each copy of a record after the
    first in landing order (file, line), and, on an incremental run, any copy of a
    record an earlier run staged ({{ this }} holds its key). Only keys that occur more
    than once are ranked, so the cost is one grouping of the batch, not a sort of it.
    Join it to the batch on source_file and source_line: a match is a duplicate.
#}
{% macro later_copies(batch, key_column='duplicate_key') -%}
    repeated_keys as (
        select {{ key_column }}
        from {{ batch }}
        group by 1
        having count(*) > 1
    ),

    later_copies as (
        select
            source_file,
            source_line
        from (
            select
                {{ batch }}.source_file,
                {{ batch }}.source_line,
                row_number() over (
                    partition by {{ batch }}.{{ key_column }}
                    order by {{ batch }}.source_file, {{ batch }}.source_line
                ) as copy_number
            from {{ batch }}
            inner join repeated_keys
                on {{ batch }}.{{ key_column }} = repeated_keys.{{ key_column }}
        ) as copies
        where copy_number > 1
        {%- if is_incremental() %}
            union
            select
                {{ batch }}.source_file,
                {{ batch }}.source_line
            from {{ batch }}
            inner join {{ this }} as earlier
                on {{ batch }}.{{ key_column }} = earlier.{{ key_column }}
        {%- endif %}
    ),
{%- endmacro %}

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
