{{ config(materialized='view') }}

{#
    One row per user per calendar day of the user's spine, active or not, with active
    days in the trailing 7 and 28 days: the spans of int_user_window_spans_computed (the
    incremental table, one row per run of days with the same values) expanded to their
    days, for BI. Nothing is stored twice.

    The ref leaves out the database name: DuckDB resolves a view's tables in the view's
    own catalog, so the view works whatever name the file is attached under.
#}

with

window_spans as (
    select
        user_key,
        user_type,
        first_active_date,
        valid_from_date,
        valid_to_date,
        is_active,
        active_days_trailing_7d,
        active_days_trailing_28d
    from {{ ref('int_user_window_spans_computed').include(database=False) }}
),

-- 1 to spine_max_days: a span is no longer than the user's spine.
day_numbers as (
    {{ dbt.generate_series(var('spine_max_days')) }}
),

user_day_windows as (
    select
        window_spans.user_key,
        window_spans.user_type,
        cast({{ dbt.dateadd('day', 'day_numbers.generated_number - 1',
            'window_spans.valid_from_date') }} as date) as calendar_date,
        window_spans.is_active,
        {{ dbt.datediff('window_spans.first_active_date', 'window_spans.valid_from_date',
            'day') }}
        + day_numbers.generated_number - 1 as days_since_first_active,
        window_spans.active_days_trailing_7d,
        window_spans.active_days_trailing_28d
    from window_spans
    inner join day_numbers
        on
            day_numbers.generated_number - 1
            <= {{ dbt.datediff('window_spans.valid_from_date', 'window_spans.valid_to_date',
                'day') }}
)

select * from user_day_windows
