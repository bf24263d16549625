{#
    count_earlier_events(events, partition_by, flag_column, count_name): one row per
    share of the events relation (share_id, event_at, the 0/1 flag_column: 0 for the
    share itself, 1 for an event to count), with the number of flagged events of its
    partition strictly before it (count_name). Ties on event_at put the share first, so
    an event at the same moment does not count. A running count in time order, not a
    self-join on "earlier than": linear in the events.
#}
{% macro count_earlier_events(events, partition_by, flag_column, count_name) %}
    select
        share_id,
        {{ count_name }}
    from (
        select
            share_id,
            {{ flag_column }},
            cast(sum({{ flag_column }}) over (
                partition by {{ partition_by | join(', ') }}
                order by event_at, {{ flag_column }}
                rows between unbounded preceding and current row
            ) as {{ dbt.type_bigint() }}) as {{ count_name }}
        from {{ events }}
    ) as counted
    where {{ flag_column }} = 0
{% endmacro %}
