{#
    The columns together identify a row: returns each combination that occurs more
    than once (a primary-key test over several columns, without dbt packages).
#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
