{# English name of an ISO weekday number (1 = Monday). #}
{% macro weekday_name(iso_weekday_expression) -%}
    case {{ iso_weekday_expression }}
        when 1 then 'Monday'
        when 2 then 'Tuesday'
        when 3 then 'Wednesday'
        when 4 then 'Thursday'
        when 5 then 'Friday'
        when 6 then 'Saturday'
        when 7 then 'Sunday'
    end
{%- endmacro %}
