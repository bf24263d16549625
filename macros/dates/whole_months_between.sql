{#
    Whole calendar months from start_date to end_date (end on or after start): month N
    runs from start + N months to the day before start + N+1 months. datediff('month')
    counts month boundaries crossed; one less when start + that many months is still
    after end (2024-01-31 to 2024-02-15: 1 boundary, 0 whole months).
#}
{% macro whole_months_between(start_date, end_date) -%}
    (
        {{ dbt.datediff(start_date, end_date, 'month') }}
        - case
            when {{ dbt.dateadd('month', dbt.datediff(start_date, end_date, 'month'), start_date) }}
                > {{ end_date }}
                then 1
            else 0
        end
    )
{%- endmacro %}
