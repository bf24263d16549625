{#
    The rows a generic test checks: overrides dbt's get_where_subquery, which applies
    the test's `where` config, and adds one rule. On a run without --full-refresh, a
    test of a table named in var recent_rows_test_columns (the large incremental user-day
    tables) checks only the rows dated (by the column the var names) within
    late_arrival_lookback_days + trailing_window_days + 7 days of the latest date of
    their user type: the days an incremental build recomputes, and the windows they
    reach back to. Those tables hold hundreds of millions of rows at scale and their
    older rows were checked when they were built; --full-refresh checks every row.
#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- set recent_column = var('recent_rows_test_columns', {}).get(relation.identifier) -%}
    {%- if recent_column and not flags.FULL_REFRESH -%}
        {%- set days = var('late_arrival_lookback_days') + var('trailing_window_days') + 7 -%}
        {%- set recent -%}
            tested.{{ recent_column }} >= (
                select {{ dbt.dateadd('day', -days, 'max(latest.' ~ recent_column ~ ')') }}
                from {{ relation }} as latest
                where latest.user_type = tested.user_type
            )
        {%- endset -%}
        {%- do conditions.append(recent) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} as tested where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
