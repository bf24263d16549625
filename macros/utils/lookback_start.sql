{#
    lookback_start(latest_date): the first day an incremental run recomputes, given the
    latest day already built (e.g. max(activity_date) over {{ this }}): that day less
    var('late_arrival_lookback_days'), so that events landing up to that many days late
    are applied. A date.
#}
{% macro lookback_start(latest_date) -%}
    cast({{ dbt.dateadd('day', -var('late_arrival_lookback_days'), latest_date) }} as date)
{%- endmacro %}
