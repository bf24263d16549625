{#
    Map each distinct raw value of a column to the attributes of the first seed row
    (lowest priority) whose LIKE pattern matches the upper-cased value. Matching runs
    over distinct values only, so it costs nothing as events grow.

    values_relation: a relation or CTE with one column, raw_value.
    mapping: ref() of a seed with match_pattern, priority and the attributes.
    attributes: the seed columns to return.
#}
{% macro lookup_by_pattern(values_relation, mapping, attributes) -%}
    select
        candidates.raw_value,
        {%- for attribute in attributes %}
        candidates.{{ attribute }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            raw_values.raw_value,
            {%- for attribute in attributes %}
            patterns.{{ attribute }},
            {%- endfor %}
            row_number() over (
                partition by raw_values.raw_value
                order by patterns.priority, patterns.match_pattern
            ) as match_rank
        from {{ values_relation }} as raw_values
        inner join {{ mapping }} as patterns
            on upper(raw_values.raw_value) like patterns.match_pattern
    ) as candidates
    where candidates.match_rank = 1
{%- endmacro %}
