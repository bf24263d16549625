{#
    True when a raw value is present but its parsed form is null: the test that sends a
    row to the rejected rows. Empty values are not failures (they are missing values).
#}
{% macro is_not_parsed(raw_expression, parsed_expression) -%}
    ({{ clean_text(raw_expression) }} is not null and {{ parsed_expression }} is null)
{%- endmacro %}
