{#
    Spans (rows holding a first and a last day) of one key share no day: returns each
    span that ends before it starts, and each span that reaches the start of the next
    span of its key (the next by first day; two spans starting on the same day overlap).

    That is what makes a model that expands the spans to one row per day unique on
    (key, day), tested on the spans at the cost of one window over them: if two spans of
    a key shared a day, the one starting first (or either, on the same first day) would
    reach the start of the span after it, which starts no later than the other. Null keys
    and days are the not_null tests' to catch.
#}
{% test non_overlapping_spans(model, key_column, from_column, to_column) %}

with

spans as (
    select
        {{ key_column }} as span_key,
        {{ from_column }} as from_date,
        {{ to_column }} as to_date,
        lead({{ from_column }}) over (
            partition by {{ key_column }} order by {{ from_column }}
        ) as next_from_date
    from {{ model }}
),

failing_spans as (
    select
        span_key,
        from_date,
        to_date,
        next_from_date,
        case
            when from_date > to_date then 'ends before it starts'
            else 'overlaps the next span'
        end as failure
    from spans
    where
        from_date > to_date
        or next_from_date <= to_date
)

select * from failing_spans

{% endtest %}
