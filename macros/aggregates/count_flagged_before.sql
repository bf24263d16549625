{#
    count_flagged_before(flag_column, partition_by, order_column): the running count of
    the 0/1 flag_column over the rows of the partition in time order (order_column),
    ties putting the unflagged rows first. On an unflagged row it is the number of
    flagged rows of its partition strictly before it: with shares flagged 0 and views 1,
    a share's earlier views, a view at the share's very moment not counted. Linear in
    the rows, unlike a self-join on "earlier than".
#}
{% macro count_flagged_before(flag_column, partition_by, order_column='event_at') -%}
    cast(sum({{ flag_column }}) over (
        partition by {{ partition_by | join(', ') }}
        order by {{ order_column }}, {{ flag_column }}
        rows between unbounded preceding and current row
    ) as {{ dbt.type_bigint() }})
{%- endmacro %}
